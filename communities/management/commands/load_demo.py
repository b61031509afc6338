"""Demo data: the six communities of the seed document, their networks, and example rounds.

Everything here is invented for demonstration (marked `is_demo`), except the community names and
the two alliances the seed document names. Idempotent: running it twice gives the same counts.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from assessments.models import (
    ActionNote,
    Assessment,
    ConsensusScore,
    Dimension,
    IndividualScore,
    Participant,
    PriorityAction,
    Rubric,
    hash_token,
    new_token,
)
from communities.models import (
    Community,
    FocalIssue,
    Membership,
    Organisation,
    Sector,
    Stakeholder,
    User,
)

DEMO_PASSWORD = "demo-password"  # demo data only; production never runs load_demo
DEMO_LINK_TOKEN = "demo-stakeholder-link-redcar-and-cleveland"
# The demo admin's and evaluator's second step (two-factor authentication is required of them):
# an authenticator app set up with this key, or one of these recovery codes. Like the password,
# demo data only; each load_demo run gives the codes back.
DEMO_TOTP_KEY = "DEMO DEMO DEMO DEMO DEMO DEMO DEMO DEMO"
DEMO_RECOVERY_CODES = [f"demo-{n:04d}" for n in range(1, 11)]


@dataclass(frozen=True)
class DemoCommunity:
    name: str
    nation: str
    local_authority: str
    focal_title: str
    focal_area: str
    # The system's "true" baseline level per dimension, around which private views scatter.
    baseline: tuple[int, ...]
    # Whether the baseline is finalised, and whether an 18-month review followed.
    finalised: bool = True
    review: bool = False
    earlier_focal: tuple[str, str, str] | None = None  # (title, status, why it changed)


COMMUNITIES = [
    DemoCommunity(
        "Bolsover",
        "england",
        "Bolsover District Council",
        "Women facing multiple disadvantage",
        "multiple disadvantage",
        (2, 2, 1, 2, 1, 1, 2, 1, 2),
        earlier_focal=(
            "Improving lives in Bolsover",
            FocalIssue.Status.NARROWED,
            "Too big and abstract as a starting point; partners narrowed it to women facing "
            "multiple disadvantage after two workshops.",
        ),
    ),
    DemoCommunity(
        "Great Yarmouth",
        "england",
        "Great Yarmouth Borough Council",
        "Great Yarmouth Homelessness Alliance: ending rough sleeping",
        "homelessness",
        (3, 2, 2, 2, 2, 1, 2, 2, 2),
        review=True,
    ),
    DemoCommunity(
        "Halton",
        "england",
        "Halton Borough Council",
        "Young people leaving care",
        "care leavers",
        (2, 3, 2, 1, 2, 2, 1, 2, 3),
        review=True,
    ),
    DemoCommunity(
        "Merthyr Tydfil",
        "wales",
        "Merthyr Tydfil County Borough Council",
        "Domestic abuse: support that starts earlier",
        "domestic abuse",
        (2, 2, 2, 3, 1, 1, 2, 2, 1),
        earlier_focal=(
            "Mental health and wellbeing",
            FocalIssue.Status.RESET,
            "Partners could not agree where to start; causal loop mapping led to a reset "
            "towards domestic abuse.",
        ),
    ),
    DemoCommunity(
        "Redcar & Cleveland",
        "england",
        "Redcar and Cleveland Borough Council",
        "Addiction and recovery",
        "addiction",
        (1, 2, 1, 2, 1, 1, 1, 2, 1),
        finalised=False,
    ),
    DemoCommunity(
        "Telford & Wrekin",
        "england",
        "Telford & Wrekin Council",
        "Unlocking Potential Alliance: people with complex needs",
        "multiple disadvantage",
        (3, 3, 2, 2, 2, 2, 2, 1, 2),
    ),
]

ORGANISATIONS: list[tuple[str, str]] = [
    ("{place} Council", Sector.STATUTORY),
    ("{place} Primary Care Network", Sector.HEALTH),
    ("{police}", Sector.POLICE_JUSTICE),
    ("{place} Housing Partnership", Sector.HOUSING),
    ("{place} Council for Voluntary Service", Sector.VCS),
    ("{place} Women's Centre", Sector.SMALL_CHARITY),
    ("Open Door {place}", Sector.SMALL_CHARITY),
    ("{place} Voices (lived-experience group)", Sector.LIVED_EXPERIENCE),
    ("Churches Together in {place}", Sector.FAITH),
]
POLICE = {
    "Bolsover": "Derbyshire Constabulary",
    "Great Yarmouth": "Norfolk Constabulary",
    "Halton": "Cheshire Constabulary",
    "Merthyr Tydfil": "South Wales Police",
    "Redcar & Cleveland": "Cleveland Police",
    "Telford & Wrekin": "West Mercia Police",
}

FIRST = [
    "Amira",
    "Ben",
    "Carys",
    "Dev",
    "Ellie",
    "Femi",
    "Gwen",
    "Hassan",
    "Iona",
    "Jack",
    "Kiran",
    "Lowri",
    "Mo",
    "Nia",
    "Owen",
    "Priya",
    "Rhys",
    "Sam",
    "Tomasz",
    "Una",
]
LAST = [
    "Evans",
    "Khan",
    "Price",
    "Okafor",
    "Jones",
    "Walsh",
    "Patel",
    "Hughes",
    "Morgan",
    "Reid",
    "Clarke",
    "Davies",
    "Ahmed",
    "Lewis",
    "Shaw",
]
ROLES: dict[str, str] = {
    Sector.STATUTORY: "Commissioner",
    Sector.HEALTH: "Partner",
    Sector.POLICE_JUSTICE: "Partner",
    Sector.HOUSING: "Partner",
    Sector.VCS: "Local Implementation Lead",
    Sector.SMALL_CHARITY: "Partner",
    Sector.LIVED_EXPERIENCE: "Person with lived experience",
    Sector.FAITH: "Partner",
}

# Reasons people give, by dimension number and rough level band (low: 1–2, mid: 3, high: 4–5).
REASONS: dict[int, dict[str, list[str]]] = {
    1: {
        "low": [
            "Each organisation still talks about its own strategy; I have not heard a shared vision at the partnership board.",
            "There are at least two competing visions: the council's and the alliance's.",
        ],
        "mid": [
            "We agreed a shared ambition in the workshops, but my colleagues describe it differently.",
            "The vision is written down and people know it, but it is not yet in our plans.",
        ],
        "high": [
            "Every partner referred to the shared ambition at the last board without prompting."
        ],
    },
    2: {
        "low": [
            "Collaboration depends on a few individuals who get on; it stops at organisational boundaries.",
            "We still compete for the same small grants rather than bidding together.",
        ],
        "mid": [
            "The joint case review group now makes decisions across agencies, e.g. the hostel referrals.",
            "There is more mutual understanding since the alliance started meeting monthly.",
        ],
        "high": ["Partners gave up some of their own targets to fund the shared navigator post."],
    },
    3: {
        "low": [
            "Nobody is accountable for the shared outcome; each agency reports to its own board.",
            "Accountability is still inside organisations; the alliance has no terms of reference.",
        ],
        "mid": ["The new strategic group has the right people to take shared decisions."],
        "high": ["Partners report progress to each other and to residents every quarter."],
    },
    4: {
        "low": [
            "People with lived experience are consulted late, after services are designed.",
            "The lived-experience panel exists but is not paid and is rarely listened to.",
        ],
        "mid": [
            "Peer researchers are shaping the questions for the needs assessment.",
            "Local people generated most of the ideas at the community event in March.",
        ],
        "high": [
            "Lived-experience members co-chair the alliance and sit on the commissioning panel."
        ],
    },
    5: {
        "low": [
            "Programmes run separately; I found out about the new outreach service by accident.",
            "Referrals between services rely on informal contacts between frontline staff.",
        ],
        "mid": ["Planning for the new hub is joined up between housing, health and the charities."],
        "high": ["The new pathway was designed across organisations and is aligned to the vision."],
    },
    6: {
        "low": [
            "Our funding is still annual; we lost two support workers when a grant ended in March.",
            "Small charities are excluded by the size of the contracts.",
        ],
        "mid": [
            "Commissioners are exploring three-year grants that smaller charities can bid for."
        ],
        "high": ["The main contracts are now five years with a break clause."],
    },
    7: {
        "low": [
            "Delivery is mainly by the large providers; small charities do unfunded work with volunteers.",
            "Small charities are subcontracted for small pieces of work only.",
        ],
        "mid": ["The women's centre is now recognised as part of the delivery landscape."],
        "high": [
            "The mix of providers reflects what people need, including small specialist charities."
        ],
    },
    8: {
        "low": [
            "Each organisation has its own training and culture; no shared workforce planning.",
            "There is recognition that new skills are needed, but no plan yet.",
        ],
        "mid": ["A shared trauma-informed training plan has been agreed by most partners."],
        "high": ["Joint induction for all new frontline staff started this year."],
    },
    9: {
        "low": [
            "Reviews happen only when a funder asks for a report.",
            "We rarely reflect together on what worked; evaluations sit in drawers.",
        ],
        "mid": ["Partners now share learning at quarterly reflective sessions."],
        "high": ["Learning from the alliance's reviews changed how the hub is run."],
    },
}

AGREED_REASONS = {
    "low": "After discussion the group agreed this is where we are: {example} Several people gave similar examples.",
    "mid": "We agreed we are in the middle: {example} But this is not yet consistent across all partners.",
    "high": "The group agreed this is a real strength: {example}",
}
DISSENT = (
    "Two partners from the voluntary sector felt the score was one level too high, because "
    "small charities are still not involved early enough."
)
ACTIONS = {
    4: (
        "Set up a paid lived-experience panel that reviews every new service design",
        "Alliance chair",
    ),
    6: (
        "Propose three-year grants for small charities to the commissioning board",
        "Head of commissioning",
    ),
    2: (
        "Run a joint case review every month across housing, health and the charities",
        "Local Implementation Lead",
    ),
    9: ("Hold a quarterly reflective session and publish what we learned", "Evaluation lead"),
    3: ("Agree terms of reference and shared accountability for the alliance", "Strategic group"),
    5: ("Map referral routes between services and fix the three biggest gaps", "Service managers"),
    1: ("Write the shared vision into every partner's annual plan", "Partnership board"),
    7: (
        "Open the next outreach contract to small charities in lots they can bid for",
        "Commissioning manager",
    ),
    8: ("Start a joint induction for all new frontline staff", "Workforce leads"),
}
# A progress note on a demo priority's step, by its status.
DEMO_NOTES = {
    PriorityAction.Status.DONE: "Done: agreed at the partnership board and in place since then.",
    PriorityAction.Status.IN_PROGRESS: (
        "First meeting held; two partners still to sign up. Back on the agenda next quarter."
    ),
}


def band(level: int) -> str:
    return "low" if level <= 2 else ("mid" if level == 3 else "high")


class Command(BaseCommand):
    help = "Load the demo communities, users and rounds (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quiet", action="store_true")

    @transaction.atomic
    def handle(self, *args: Any, quiet: bool = False, **options: Any) -> None:
        rubric = Rubric.current()
        dimensions = list(rubric.dimensions.order_by("number"))
        users = self.load_users()
        two_factor = self.load_two_factor([users["evaluator"], users["admin"]])
        sample_link = ""
        for spec in COMMUNITIES:
            community = self.load_community(spec)
            facilitator = users["lead-merthyr" if spec.name == "Merthyr Tydfil" else "facilitator"]
            Membership.objects.get_or_create(user=facilitator, community=community)
            link = self.load_rounds(community, spec, rubric, dimensions, facilitator)
            sample_link = sample_link or link
        if not quiet:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo data ready: {Community.objects.filter(is_demo=True).count()} communities, "
                    f"{Stakeholder.objects.filter(community__is_demo=True).count()} stakeholders, "
                    f"{Assessment.objects.filter(community__is_demo=True).count()} rounds."
                )
            )
            self.stdout.write(
                "Logins (password demo-password): facilitator, lead-merthyr, evaluator, admin"
            )
            if two_factor:
                self.stdout.write(
                    "Second step for evaluator and admin: the code of an authenticator app set "
                    f"up with the key {DEMO_TOTP_KEY}, or a recovery code "
                    f"({DEMO_RECOVERY_CODES[0]} to {DEMO_RECOVERY_CODES[-1]}, each once; "
                    "load_demo gives them back)"
                )
            if sample_link:
                self.stdout.write(
                    f"A stakeholder's personal link (Redcar & Cleveland): {sample_link}"
                )

    def load_users(self) -> dict[str, User]:
        specs: dict[str, dict[str, Any]] = {
            "facilitator": {"role": User.Role.FACILITATOR, "first_name": "Fran"},
            "lead-merthyr": {"role": User.Role.FACILITATOR, "first_name": "Lowri"},
            "evaluator": {"role": User.Role.EVALUATOR, "first_name": "Eve"},
            "admin": {"role": User.Role.FACILITATOR, "is_superuser": True, "is_staff": True},
        }
        users = {}
        for username, fields in specs.items():
            user, created = User.objects.get_or_create(
                username=username, defaults={**fields, "email": f"{username}@example.org"}
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
            users[username] = user
        return users

    def load_two_factor(self, users: list[User]) -> bool:
        """Give the demo's admin and evaluator the demo authenticator and recovery codes, when
        the site requires a second step of them (SMM_REQUIRE_2FA; a benchmark turns it off and
        signs them in with the password alone). Returns whether it did."""
        from base64 import b32decode

        from django.conf import settings
        from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from communities.two_factor import recovery_token

        required = settings.SMM_REQUIRE_2FA or settings.SMM_REQUIRE_2FA_FOR_ALL
        key = b32decode(DEMO_TOTP_KEY.replace(" ", "")).hex()
        for user in users:
            devices = TOTPDevice.objects.filter(user=user)
            (devices.exclude(key=key) if required else devices).delete()
            StaticDevice.objects.filter(user=user).delete()
            if required:
                TOTPDevice.objects.get_or_create(
                    user=user, key=key, defaults={"name": "demo authenticator", "confirmed": True}
                )
                device = StaticDevice.objects.create(user=user, name="demo recovery codes")
                StaticToken.objects.bulk_create(
                    [
                        StaticToken(device=device, token=recovery_token(c))
                        for c in DEMO_RECOVERY_CODES
                    ]
                )
            user.has_two_factor = required
            user.save(update_fields=["has_two_factor"])
        return required

    def load_community(self, spec: DemoCommunity) -> Community:
        slug = slugify(spec.name.replace("&", "and"))
        community, _ = Community.objects.update_or_create(
            slug=slug,
            defaults={
                "name": spec.name,
                "nation": spec.nation,
                "local_authority": spec.local_authority,
                "description": f"Demo data: an invented picture of {spec.name}'s local system.",
                "is_demo": True,
            },
        )
        if (
            spec.earlier_focal
            and not community.focal_issues.filter(title=spec.earlier_focal[0]).exists()
        ):
            title, status, why = spec.earlier_focal
            FocalIssue.objects.create(
                community=community,
                title=title,
                area=spec.focal_area,
                status=status,
                started_on=datetime.date(2020, 3, 1),
                ended_on=datetime.date(2020, 11, 1),
                change_reason=why,
            )
        FocalIssue.objects.get_or_create(
            community=community,
            status=FocalIssue.Status.CURRENT,
            defaults={
                "title": spec.focal_title,
                "area": spec.focal_area,
                "started_on": datetime.date(2020, 11, 15),
                "description": "Chosen by the stakeholder network in facilitated workshops.",
            },
        )
        rng = random.Random(slug)
        place = spec.name.split(" & ")[0]
        orgs = []
        for template, sector in ORGANISATIONS:
            name = template.format(place=place, police=POLICE[spec.name])
            org, _ = Organisation.objects.get_or_create(
                community=community, name=name, defaults={"sector": sector}
            )
            orgs.append(org)
        # 8–15 people, at least one per organisation, two from the lived-experience group.
        size = 8 + rng.randrange(8)
        for i in range(size):
            org = orgs[i % len(orgs)] if i < len(orgs) else rng.choice(orgs)
            name = f"{FIRST[(i * 7 + len(slug)) % len(FIRST)]} {LAST[(i * 5 + len(place)) % len(LAST)]}"
            email = f"{slugify(name)}.{slug}@example.org"
            Stakeholder.objects.get_or_create(
                community=community,
                email=email,
                defaults={
                    "name": name,
                    "organisation": org,
                    "sector": org.sector,
                    "role": ROLES.get(org.sector, "Partner"),
                },
            )
        return community

    def load_rounds(
        self,
        community: Community,
        spec: DemoCommunity,
        rubric: Rubric,
        dimensions: list[Dimension],
        facilitator: User,
    ) -> str:
        focal = FocalIssue.objects.get(community=community, status=FocalIssue.Status.CURRENT)
        people = list(community.stakeholders.order_by("pk"))
        rng = random.Random(f"{community.slug}-rounds")
        if not spec.finalised:
            return self.load_round(
                community,
                focal,
                rubric,
                dimensions,
                facilitator,
                people,
                rng,
                title="2026 baseline",
                kind=Assessment.Kind.BASELINE,
                levels=spec.baseline,
                collecting=True,
                opened=datetime.datetime(2026, 11, 2, 10, tzinfo=datetime.UTC),
            )
        self.load_round(
            community,
            focal,
            rubric,
            dimensions,
            facilitator,
            people,
            rng,
            title="2022 baseline",
            kind=Assessment.Kind.BASELINE,
            levels=spec.baseline,
            opened=datetime.datetime(2022, 2, 1, 10, tzinfo=datetime.UTC),
        )
        if spec.review:
            baseline = Assessment.objects.get(community=community, title="2022 baseline")
            priorities = set(
                baseline.consensus_scores.filter(is_priority=True).values_list(
                    "dimension__number", flat=True
                )
            )
            # Priority dimensions move more, as the model hopes; others move a little or not.
            review = tuple(
                min(5, level + (1 if n in priorities else rng.choice([0, 0, 1])))
                for n, level in enumerate(spec.baseline, start=1)
            )
            self.load_round(
                community,
                focal,
                rubric,
                dimensions,
                facilitator,
                people,
                rng,
                title="2023 review",
                kind=Assessment.Kind.REVIEW,
                levels=review,
                opened=datetime.datetime(2023, 8, 1, 10, tzinfo=datetime.UTC),
                previous=baseline,
            )
        return ""

    def load_round(
        self,
        community: Community,
        focal: FocalIssue,
        rubric: Rubric,
        dimensions: list[Dimension],
        facilitator: User,
        people: list[Stakeholder],
        rng: random.Random,
        *,
        title: str,
        kind: str,
        levels: tuple[int, ...],
        opened: datetime.datetime,
        collecting: bool = False,
        previous: Assessment | None = None,
    ) -> str:
        closed = opened + datetime.timedelta(days=21)
        finalised = closed + datetime.timedelta(days=7)
        assessment, created = Assessment.objects.get_or_create(
            community=community,
            title=title,
            defaults={
                "focal_issue": focal,
                "rubric": rubric,
                "kind": kind,
                "created_by": facilitator,
                "previous": previous,
                "deadline": (timezone.localdate() + datetime.timedelta(days=10))
                if collecting
                else closed.date(),
                "workshop_date": None if collecting else finalised.date(),
                # Demo history lies in the past, so timestamps are set directly rather than
                # through the lifecycle methods, which stamp "now".
                "status": Assessment.Status.COLLECTING
                if collecting
                else Assessment.Status.FINALISED,
                "collection_opened_at": opened,
                "collection_closed_at": None if collecting else closed,
                "finalised_at": None if collecting else finalised,
                "next_review_due": None
                if collecting
                else (finalised + datetime.timedelta(days=548)).date(),
            },
        )
        if not created:
            if collecting:
                return self.sample_link(assessment)
            return ""
        for index, person in enumerate(people):
            submitted = index < len(people) - (3 if collecting else 1) or (
                collecting and index < len(people) // 2
            )
            participant = Participant.objects.create(
                assessment=assessment,
                stakeholder=person,
                sector=person.sector,
                token_hash=hash_token(new_token()),
                invited_at=opened,
                opened_at=opened + datetime.timedelta(days=1 + index % 5),
            )
            if collecting and index >= len(people) // 2 + 2:
                continue  # invited and opened, nothing saved yet
            answered = dimensions if submitted else dimensions[: 3 + index % 4]
            scores = []
            for dim, true_level in zip(answered, levels, strict=False):
                if rng.random() < 0.07:
                    scores.append(
                        IndividualScore(
                            participant=participant,
                            dimension=dim,
                            not_sure=True,
                            reason="I don't know enough about this area to judge.",
                        )
                    )
                    continue
                level = max(
                    1,
                    min(
                        5,
                        true_level
                        + rng.choice([-1, 0, 0, 0, 1, 1, 2 if dim.number in (4, 6) else 0]),
                    ),
                )
                scores.append(
                    IndividualScore(
                        participant=participant,
                        dimension=dim,
                        level=level,
                        reason=rng.choice(REASONS[dim.number][band(level)]),
                    )
                )
            IndividualScore.objects.bulk_create(scores)
            participant.draft_saved_at = opened + datetime.timedelta(days=2 + index % 7)
            if submitted:
                participant.submitted_at = participant.draft_saved_at + datetime.timedelta(hours=3)
            participant.save()
        if not collecting:
            self.load_consensus(assessment, dimensions, levels, rng, finalised)
        return self.sample_link(assessment) if collecting else ""

    def load_consensus(
        self,
        assessment: Assessment,
        dimensions: list[Dimension],
        levels: tuple[int, ...],
        rng: random.Random,
        when: datetime.datetime,
    ) -> None:
        priorities = sorted(dimensions, key=lambda d: (levels[d.number - 1], -d.number))[:2]
        for dim, level in zip(dimensions, levels, strict=True):
            example = REASONS[dim.number][band(level)][0]
            consensus = ConsensusScore.objects.create(
                assessment=assessment,
                dimension=dim,
                level=level,
                reason=AGREED_REASONS[band(level)].format(example=example),
                dissent=DISSENT if dim.number in (4, 7) and rng.random() < 0.7 else "",
                is_priority=dim in priorities,
                updated_by=assessment.created_by,
            )
            if consensus.is_priority:
                action, owner = ACTIONS.get(
                    dim.number, ("Agree next steps at the alliance meeting", "Alliance chair")
                )
                step = PriorityAction.objects.create(
                    consensus=consensus,
                    action=action,
                    owner=owner,
                    review_date=(when + datetime.timedelta(days=180)).date(),
                )
                self.load_follow_through(consensus, step, when, first=dim == priorities[0])

    def load_follow_through(
        self,
        consensus: ConsensusScore,
        step: PriorityAction,
        when: datetime.datetime,
        *,
        first: bool,
    ) -> None:
        """A priority's target (one level up) and "what would move us up" (the model's next
        level), and its step's progress: a baseline's first step done, the others under way,
        with a dated note, so that the open-actions page and "since last time" have content."""
        if consensus.level < 5:
            consensus.target_level = consensus.level + 1
            consensus.move_up = consensus.dimension.levels.get(level=consensus.level + 1).text
            consensus.save(update_fields=["target_level", "move_up"])
        baseline = consensus.assessment.kind == Assessment.Kind.BASELINE
        if first:
            step.status = (
                PriorityAction.Status.DONE if baseline else PriorityAction.Status.NOT_STARTED
            )
        else:
            step.status = PriorityAction.Status.IN_PROGRESS
        step.save(update_fields=["status"])
        if step.status != PriorityAction.Status.NOT_STARTED:
            ActionNote.objects.create(
                action=step,
                written_on=(when + datetime.timedelta(days=120)).date(),
                text=DEMO_NOTES[step.status],
                author=consensus.updated_by,
            )

    def sample_link(self, assessment: Assessment) -> str:
        """Give one not-yet-submitted participant a known link so the demo can show the sheet.
        Like the demo password, this fixed token exists in demo data only."""
        from django.conf import settings

        participant = (
            assessment.participants.filter(submitted_at__isnull=True).order_by("pk").first()
        )
        if participant is None:
            return ""
        if participant.token_hash != hash_token(DEMO_LINK_TOKEN):
            participant.token_hash = hash_token(DEMO_LINK_TOKEN)
            participant.save(update_fields=["token_hash"])
        return f"{settings.SITE_URL}/s/{DEMO_LINK_TOKEN}/"
