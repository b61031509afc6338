"""Staff accounts: invitations, deactivation, sessions, passwords, memberships and communities,
each change audited (the second factor is in two_factor.py).

Account events go to the project's audit log (assessments.models.AuditEvent) under the verbs
below. AuditEvent.verb's choices are the assessments app's own and only validate forms, so
these verbs are stored as they are and labelled here (`verb_label`), without the two apps
sharing one list. The user an event is about is in `detail` ("user_id", "user").
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import update_session_auth_hash
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import models, transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments.links import _counted
from assessments.models import AccountVerb, AuditEvent, audit
from smm_site.clients import client_ip

from .models import (
    AccountRole,
    Community,
    Invitation,
    Membership,
    User,
    hash_invitation_token,
)


def verb_label(verb: str) -> str:
    return str(dict(AuditEvent._meta.get_field("verb").choices or []).get(verb, verb))


class AccountError(Exception):
    """A refused account change, with the message to show."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def audit_account(
    *,
    verb: str,
    summary: str,
    about: User | None,
    by: User | None,
    community: Community | None = None,
    **detail: Any,
) -> AuditEvent:
    if about is not None:
        detail = {"user_id": about.pk, "user": about.get_username(), **detail}
    return audit(verb=verb, summary=summary, actor=by, community=community, detail=detail)


def account_events() -> models.QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(verb__in=AccountVerb.values).select_related(
        "actor", "community"
    )


def events_about(user: User) -> models.QuerySet[AuditEvent]:
    return account_events().filter(detail__user_id=user.pk)


# --- sessions ------------------------------------------------------------------------------------


def end_sessions(user: User) -> None:
    """Every session of `user` fails its hash check from its next request (User.session_salt)."""
    user.session_salt = secrets.token_hex(16)
    user.save(update_fields=["session_salt"])


def sign_out_everywhere(*, request: HttpRequest, user: User) -> None:
    """End the user's other sessions; the one making the request stays signed in."""
    end_sessions(user)
    update_session_auth_hash(request, user)
    audit_account(
        verb=AccountVerb.SIGNED_OUT_EVERYWHERE,
        summary=_("%(user)s signed out of every other session") % {"user": user},
        about=user,
        by=user,
    )


def password_changed(*, user: User) -> None:
    """Django's PasswordChangeView changed the password: the new hash ends every other session,
    update_session_auth_hash kept this one."""
    audit_account(
        verb=AccountVerb.PASSWORD_CHANGED,
        summary=_("%(user)s changed their password") % {"user": user},
        about=user,
        by=user,
    )


def _reset_window() -> int:
    """The current clock hour: reset emails are counted per hour."""
    return int(timezone.now().timestamp() // 3600)


def _count_one(key: str) -> int:
    """One more on `key` this hour, in the link limit's cache (Redis when there is one)."""

    def increment(counts: Any) -> int:
        counts.add(key, 0, timeout=3600)
        try:
            return int(counts.incr(key))
        except ValueError:  # expired between add and incr
            counts.set(key, 1, timeout=3600)
            return 1

    return _counted(increment)


def reset_allowed_from(request: HttpRequest) -> bool:
    """Count one reset request from the client's address; False past the hour's limit."""
    key = f"ratelimit:password-reset:{client_ip(request)}:{_reset_window()}"
    return _count_one(key) <= settings.SMM_PASSWORD_RESETS_PER_HOUR


def reset_allowed_for(user: User) -> bool:
    """Count one reset email to this account; False past the hour's limit (nothing is sent,
    and the page says what it says for any address)."""
    key = f"ratelimit:password-reset-account:{user.pk}:{_reset_window()}"
    return _count_one(key) <= settings.SMM_PASSWORD_RESETS_PER_ACCOUNT_PER_HOUR


def password_reset_requested(*, email: str, users: list[User]) -> None:
    for user in users:
        audit_account(
            verb=AccountVerb.PASSWORD_RESET_REQUESTED,
            summary=_("Password reset link sent to %(user)s") % {"user": user},
            about=user,
            by=None,
        )


def password_reset_done(*, user: User) -> None:
    audit_account(
        verb=AccountVerb.PASSWORD_RESET_DONE,
        summary=_("%(user)s set a new password from a reset link") % {"user": user},
        about=user,
        by=None,
    )


# --- invitations ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SentInvitation:
    invitation: Invitation
    link: str


def invitation_link(token: str) -> str:
    return settings.SITE_URL + reverse("accounts:invitation", kwargs={"token": token})


@transaction.atomic
def invitation_send(
    *, email: str, role: str, communities: list[Community], by: User
) -> SentInvitation:
    """Email a single-use link that opens an account. An earlier invitation still pending for the
    same address is withdrawn, so only the newest link works."""
    email = email.strip()
    if User.objects.filter(email__iexact=email).exists():
        raise AccountError(_("There is already an account with this email address."))
    now = timezone.now()
    replaced = Invitation.objects.pending().filter(email__iexact=email).update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        email=email,
        role=role,
        token_hash=hash_invitation_token(token),
        invited_by=by,
        created_at=now,
        expires_at=now + timedelta(days=settings.SMM_INVITATION_DAYS),
    )
    invitation.full_clean()
    invitation.save()
    invitation.communities.set(communities)
    link = invitation_link(token)
    context = {
        "invitation": invitation,
        "role": AccountRole(role).label,
        "communities": communities,
        "link": link,
        "by": by,
        "days": settings.SMM_INVITATION_DAYS,
    }
    subject = render_to_string("accounts/email/invitation_subject.txt", context)
    EmailMessage(
        subject=" ".join(subject.split()),
        body=render_to_string("accounts/email/invitation_body.txt", context),
        to=[email],
    ).send()
    audit(
        verb=AccountVerb.INVITED,
        summary=_("%(email)s invited as %(role)s") % {"email": email, "role": context["role"]},
        actor=by,
        detail={
            "email": email,
            "role": role,
            "communities": [c.slug for c in communities],
            "replaced": replaced,
        },
    )
    return SentInvitation(invitation=invitation, link=link)


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, by: User) -> None:
    if invitation.state != Invitation.State.PENDING:
        raise AccountError(_("This invitation is no longer pending."))
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit(
        verb=AccountVerb.INVITATION_REVOKED,
        summary=_("Invitation to %(email)s withdrawn") % {"email": invitation.email},
        actor=by,
        detail={"email": invitation.email},
    )


class InvitationRefused(Exception):
    """An invitation link that cannot be used: `status` and a message for the page."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def invitation_for_token(token: str) -> Invitation:
    invitation = (
        Invitation.objects.filter(token_hash=hash_invitation_token(token))
        .prefetch_related("communities")
        .first()
    )
    if invitation is None:
        raise InvitationRefused(
            404, _("We could not find this invitation. Check the link in the email.")
        )
    _refuse_unless_pending(invitation)
    return invitation


def _refuse_unless_pending(invitation: Invitation) -> None:
    state = invitation.state
    if state == Invitation.State.ACCEPTED:
        raise InvitationRefused(
            410,
            _(
                "This invitation has already been used. Log in, or reset your password if you "
                "have forgotten it."
            ),
        )
    if state == Invitation.State.EXPIRED:
        raise InvitationRefused(
            410,
            _("This invitation has expired. Ask the person who invited you for a new one."),
        )
    if state == Invitation.State.REVOKED:
        raise InvitationRefused(
            410,
            _(
                "This invitation was withdrawn or replaced by a newer one. Use the newest email, "
                "or ask for a new invitation."
            ),
        )


@transaction.atomic
def invitation_accept(
    *, invitation: Invitation, username: str, password: str, first_name: str, last_name: str
) -> User:
    """Open the account: the invitation's role and communities, the chosen password. Run
    twice at once, the second finds the invitation used."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    _refuse_unless_pending(invitation)
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise InvitationRefused(
            410, _("There is already an account with this email address. Log in instead.")
        )
    is_admin = invitation.role == AccountRole.ADMIN
    user = User(
        username=username,
        email=invitation.email,
        first_name=first_name,
        last_name=last_name,
        role=User.Role.EVALUATOR
        if invitation.role == AccountRole.EVALUATOR
        else User.Role.FACILITATOR,
        is_superuser=is_admin,
        is_staff=is_admin,
    )
    user.set_password(password)
    user.full_clean()
    user.save()
    communities = list(invitation.communities.all())
    Membership.objects.bulk_create([Membership(user=user, community=c) for c in communities])
    invitation.accepted_at = timezone.now()
    invitation.user = user
    invitation.save(update_fields=["accepted_at", "user"])
    audit_account(
        verb=AccountVerb.INVITATION_ACCEPTED,
        summary=_("%(email)s accepted the invitation as %(user)s")
        % {"email": invitation.email, "user": username},
        about=user,
        by=user,
        role=invitation.role,
        communities=[c.slug for c in communities],
    )
    return user


# --- users ---------------------------------------------------------------------------------------


def _other_active_admins(user: User) -> bool:
    return User.objects.filter(is_superuser=True, is_active=True).exclude(pk=user.pk).exists()


@transaction.atomic
def user_deactivate(*, user: User, by: User) -> None:
    """No more logins, and every session ends. Nothing the user did is removed."""
    if user.pk == by.pk:
        raise AccountError(_("You cannot deactivate your own account."))
    if user.is_superuser and not _other_active_admins(user):
        raise AccountError(_("This is the last active admin; make someone else admin first."))
    user.is_active = False
    user.save(update_fields=["is_active"])
    end_sessions(user)
    audit_account(
        verb=AccountVerb.DEACTIVATED,
        summary=_("%(user)s deactivated") % {"user": user},
        about=user,
        by=by,
    )


@transaction.atomic
def user_reactivate(*, user: User, by: User) -> None:
    user.is_active = True
    user.save(update_fields=["is_active"])
    audit_account(
        verb=AccountVerb.REACTIVATED,
        summary=_("%(user)s reactivated") % {"user": user},
        about=user,
        by=by,
    )


@transaction.atomic
def user_set_role(*, user: User, role: str, by: User) -> None:
    before = user.account_role
    if role == before:
        return
    if before == AccountRole.ADMIN and not _other_active_admins(user):
        raise AccountError(_("This is the last active admin; make someone else admin first."))
    user.is_superuser = user.is_staff = role == AccountRole.ADMIN
    if role != AccountRole.ADMIN:
        user.role = role
    user.save(update_fields=["is_superuser", "is_staff", "role"])
    audit_account(
        verb=AccountVerb.ROLE_CHANGED,
        summary=_("%(user)s is now %(role)s") % {"user": user, "role": AccountRole(role).label},
        about=user,
        by=by,
        before=before,
        after=role,
    )


# --- memberships and communities -----------------------------------------------------------------


@transaction.atomic
def membership_add(
    *, community: Community, user: User, is_local_lead: bool, by: User
) -> Membership:
    if not user.is_active:
        raise AccountError(_("%(user)s is deactivated.") % {"user": user})
    if Membership.objects.filter(community=community, user=user).exists():
        raise AccountError(
            _("%(user)s already facilitates %(community)s.")
            % {"user": user, "community": community}
        )
    membership = Membership.objects.create(
        community=community, user=user, is_local_lead=is_local_lead
    )
    audit_account(
        verb=AccountVerb.MEMBERSHIP_ADDED,
        summary=_("%(user)s now facilitates %(community)s")
        % {"user": user, "community": community},
        about=user,
        by=by,
        community=community,
        local_lead=is_local_lead,
    )
    return membership


@transaction.atomic
def membership_set_lead(*, membership: Membership, is_local_lead: bool, by: User) -> None:
    membership.is_local_lead = is_local_lead
    membership.save(update_fields=["is_local_lead"])
    summary = (
        _("%(user)s is a Local Implementation Lead in %(community)s")
        if is_local_lead
        else _("%(user)s is no longer a Local Implementation Lead in %(community)s")
    )
    audit_account(
        verb=AccountVerb.MEMBERSHIP_CHANGED,
        summary=summary % {"user": membership.user, "community": membership.community},
        about=membership.user,
        by=by,
        community=membership.community,
        local_lead=is_local_lead,
    )


@transaction.atomic
def membership_remove(*, membership: Membership, by: User) -> None:
    user, community = membership.user, membership.community
    membership.delete()
    audit_account(
        verb=AccountVerb.MEMBERSHIP_REMOVED,
        summary=_("%(user)s no longer facilitates %(community)s")
        % {"user": user, "community": community},
        about=user,
        by=by,
        community=community,
    )


RESERVED_SLUGS = frozenset({"new"})


@transaction.atomic
def community_create(*, community: Community, by: User) -> Community:
    if community.slug in RESERVED_SLUGS:
        raise ValidationError({"slug": _("This address is reserved; choose another.")})
    community.full_clean()
    community.save()
    audit(
        verb=AccountVerb.COMMUNITY_CREATED,
        summary=_("Community created: %(name)s") % {"name": community.name},
        actor=by,
        community=community,
    )
    return community


@transaction.atomic
def community_archive(*, community: Community, by: User) -> None:
    community.archived_at = timezone.now()
    community.save(update_fields=["archived_at"])
    audit(
        verb=AccountVerb.COMMUNITY_ARCHIVED,
        summary=_("Community archived: %(name)s") % {"name": community.name},
        actor=by,
        community=community,
    )


@transaction.atomic
def community_unarchive(*, community: Community, by: User) -> None:
    community.archived_at = None
    community.save(update_fields=["archived_at"])
    audit(
        verb=AccountVerb.COMMUNITY_UNARCHIVED,
        summary=_("Community taken out of the archive: %(name)s") % {"name": community.name},
        actor=by,
        community=community,
    )
