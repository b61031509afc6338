"""Give the benchmark's copy of the demo data the round shapes of the national data set.

    DATABASE_URL=.../smm_bench_demo DJANGO_SETTINGS_MODULE=bench.bench_settings \\
        python bench/demo_shapes.py

Query counts are compared page by page between the 300-community data set and the demo data
(bench/queries.py). Some pages read a round's previous round, or show a workshop, and the demo
has no round in workshop and no collecting round with a previous one: compared as they are,
those pages would differ by the shape of their round, not by the size of the data. So the
benchmark's own copy of the demo (never the demo itself) gets two review rounds made the way a
facilitator makes them (round_create, participants_add, round_move; sheets saved and
submitted through the scoring services): one collecting, one in workshop, each following a
finalised round. Run by bench/run.py after load_demo; adds nothing when they are there.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TITLE = "2026 review (benchmark)"


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.bench_settings")
    import django

    django.setup()
    from django.utils import timezone

    from assessments.models import Assessment, Dimension
    from assessments.rounds import participants_add, round_create, round_move
    from assessments.scoring import Answer, score_autosave, sheet_submit
    from communities.models import Community, User

    if Assessment.objects.filter(title=TITLE).exists():
        return
    facilitator = User.objects.get(username="facilitator")
    # The facilitator's communities whose latest round is finalised: a new round follows it.
    followed = [
        community
        for community in Community.objects.filter(memberships__user=facilitator).order_by("name")
        if (latest := community.assessments.order_by("-created_at").first()) is not None
        and latest.status == Assessment.Status.FINALISED
    ]
    assert len(followed) >= 2, "the demo data needs two communities with a finalised round"
    dimensions = list(Dimension.objects.filter(rubric__is_current=True).order_by("number"))
    # Workshop first: the benchmark takes the newest collecting round for the round page.
    for community, status in zip(followed[:2], ("workshop", "collecting"), strict=True):
        assessment = round_create(
            community=community,
            title=TITLE,
            kind=Assessment.Kind.REVIEW,
            deadline=timezone.localdate() + dt.timedelta(days=14),
            workshop_date=None,
            by=facilitator,
        )
        people = participants_add(
            assessment=assessment,
            stakeholders=community.stakeholders.filter(is_active=True, erased_at__isnull=True),
            by=facilitator,
        )
        round_move(assessment=assessment, to=Assessment.Status.COLLECTING, by=facilitator)
        for index, participant in enumerate(people):
            participant.assessment = assessment
            for dimension in dimensions:
                level = 1 + (index + dimension.number) % 5
                answer = Answer(level=level, not_sure=False, reason=f"Benchmark reason {level}")
                score_autosave(participant=participant, dimension=dimension, answer=answer)
            if index % 4:  # most submit; some leave a draft
                sheet_submit(participant=participant)
        if status == "workshop":
            round_move(assessment=assessment, to=Assessment.Status.WORKSHOP, by=facilitator)


if __name__ == "__main__":
    main()
