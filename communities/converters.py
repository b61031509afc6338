"""URL converters for account pages."""

from django.urls import register_converter


class UsernameConverter:
    """A username as Django's validator allows it (letters, digits and @ . + - _), so that
    anything else, such as a NUL byte PostgreSQL would refuse in a query, is a plain 404."""

    regex = r"[\w.@+-]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(UsernameConverter, "username")
