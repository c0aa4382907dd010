from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path

from config import apireference
from config.api import api
from peerlearn.analytics import views as analytics_views
from peerlearn.common import health, metrics, pwa
from peerlearn.common import views as common_views
from peerlearn.guide import views as guide_views

urlpatterns = [
    path("", analytics_views.home, name="home"),
    path("readyz", health.readyz, name="readyz"),
    path("manifest.webmanifest", pwa.manifest, name="manifest"),
    path("sw.js", pwa.service_worker, name="service_worker"),
    path("offline/", pwa.offline, name="offline"),
    path("metrics", metrics.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("_allauth/", include("allauth.headless.urls")),
    path("api/v1/docs", apireference.reference_page, name="api-reference"),
    path("api/v1/", api.urls),
    path("", include("peerlearn.accounts.urls")),
    path("notifications/", include("peerlearn.notifications.urls")),
    path("sessions/", include("peerlearn.scheduling.urls")),
    path("rooms/", include("peerlearn.live.urls")),
    path("practice/", include("peerlearn.practice.urls")),
    path("reviews/", include("peerlearn.reviews.urls")),
    path("leaderboard/", include("peerlearn.gamification.urls")),
    path("discussions/", include("peerlearn.forum.urls")),
    path("messages/", include("peerlearn.messaging.urls")),
    path("tutors/", include("peerlearn.matching.urls")),
    path("help/", include("peerlearn.matching.help.urls")),
    path("practice/partners/", include("peerlearn.matching.partners.urls")),
    path("insights/", include("peerlearn.analytics.urls")),
    path("guide/", include("peerlearn.guide.urls")),
    path("privacy/", guide_views.privacy, name="privacy"),
    path("terms/", guide_views.terms, name="terms"),
    path("lti/", include("peerlearn.lti.urls")),
]

if settings.DEBUG:
    urlpatterns += [path("dev/mail/", common_views.dev_mailbox, name="dev_mailbox")]

if settings.SERVE_MEDIA:
    # Public media only (avatars). Private files are never under MEDIA_ROOT.
    urlpatterns += [re_path(r"^media/(?P<path>.*)$", common_views.public_media, name="media")]
