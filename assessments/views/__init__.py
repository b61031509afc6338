"""Views, one module per part of the product; each module lists its own urlpatterns so that
work on one part never touches another's routes."""
