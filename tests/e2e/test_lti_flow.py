"""From an LMS into PeerLearn in Chromium. The LMS is the test platform
(peerlearn/lti/tests/platform.py) on its own HTTP port, the tool is the real ASGI app: an
instructor presses the platform's launch button, lands in deep linking's picker, places a
graded problem and is sent back to the platform with the signed answer (which the platform
verifies against PeerLearn's JWKS, fetched over HTTP); a learner then opens that link and lands
on the problem, and opens the course page."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from lti_tool.models import Key

from peerlearn.common.testing import make_subject, make_tutor
from peerlearn.lti.models import Course, GradedLink, Placement
from peerlearn.lti.tests.helpers import INSTRUCTOR, person, registered
from peerlearn.lti.tests.platform import running_platform
from peerlearn.practice.tests.factories import make_add_problem

if TYPE_CHECKING:
    from .conftest import NewPage, Screenshot

pytestmark = pytest.mark.e2e


def test_an_instructor_places_a_problem_and_a_learner_opens_it(
    live_url: str, new_page: NewPage, screenshot: Screenshot, settings: Any
) -> None:
    settings.LTI_LAUNCHES_PER_MINUTE = 1_000_000  # the suite's other launches share 127.0.0.1
    problem = make_add_problem()
    graphs = make_subject("Graphs")
    make_tutor("tara@example.org", subject=graphs, display_name="Tara Tutor")
    Key.objects.generate()
    with running_platform() as platform:
        platform.tool_login_url = f"{live_url}/lti/login/"
        platform.tool_launch_url = f"{live_url}/lti/launch/"
        platform.tool_jwks_url = f"{live_url}/lti/jwks.json"
        registered(platform)
        lms_course = platform.course(
            "algo-101", "Algorithms 101", [person(1, INSTRUCTOR), person(2)]
        )

        teacher = new_page()
        hint = platform.prepare(platform.deep_linking_launch(person(1, INSTRUCTOR), lms_course))
        teacher.goto(platform.url(f"/start/{hint}"))
        teacher.click("#launch")  # the platform's button: OIDC login → authorize → launch
        teacher.wait_for_url(f"{live_url}/lti/deep-link/")
        teacher.get_by_role("radio", name="Practice problem").check()
        teacher.locator("#id_problem").select_option(problem.slug)
        teacher.get_by_label("Send the learner's best score to the gradebook").check()
        screenshot(teacher, "lti-deep-link-picker")
        teacher.click("button:has-text('Place in the course')")
        teacher.wait_for_selector("text=Test LMS: content added")  # back on the platform
        assert teacher.locator("#added li").inner_text() == "Add two numbers"
        placement = Placement.objects.get()
        item = platform.deep_link_responses[0]["items"][0]
        assert item["custom"] == {"peerlearn_placement": str(placement.token)}

        learner = new_page()
        claims = platform.resource_launch(
            person(2),
            lms_course,
            link_id="link-9",
            custom=item["custom"],
            lineitem=item["lineitem_url"],
        )
        learner.goto(platform.url(f"/start/{platform.prepare(claims)}"))
        learner.click("#launch")
        learner.wait_for_url(f"{live_url}/practice/problems/{problem.slug}/")
        learner.wait_for_selector("h1:has-text('Add two numbers')")
        assert GradedLink.objects.filter(placement=placement).count() == 1

        # A plain course link: the course page, as a learner (no curating) at phone width.
        course_claims = platform.resource_launch(person(2), lms_course, link_id="link-1")
        phone = new_page(viewport={"width": 375, "height": 800})
        phone.goto(platform.url(f"/start/{platform.prepare(course_claims)}"))
        phone.click("#launch")
        course = Course.objects.get()
        phone.wait_for_url(f"{live_url}/lti/courses/{course.pk}/")
        phone.wait_for_selector("h1:has-text('Algorithms 101')")
        assert phone.locator("text=Curate this page").count() == 0
        screenshot(phone, "lti-course-page-375")

        # The instructor's view of the same page, with the curating form.
        teacher.goto(f"{live_url}/lti/courses/{course.pk}/")
        teacher.get_by_label("Introduction").fill("Week 3: graphs. Practise, then discuss.")
        teacher.locator(".lti-topics input[type=checkbox]").first.check()
        teacher.locator("#id_subjects").select_option(str(graphs.pk))
        teacher.click("button:has-text('Save the course page')")
        teacher.wait_for_selector("text=The course page was updated.")
        teacher.wait_for_selector("text=Week 3: graphs.")
        teacher.wait_for_selector(".lti-list >> text=Tara Tutor")
        screenshot(teacher, "lti-course-page-1280")
        teacher.click("text=Course discussion")
        teacher.wait_for_selector(f"h1:has-text('{course.title}')")
