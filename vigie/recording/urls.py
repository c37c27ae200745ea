"""Recording pages and image endpoints (included at the root by vigie/urls.py)."""

from __future__ import annotations

from django.urls import include, path, re_path

from vigie.recording import views, views_masks

urlpatterns = [
    path(
        "cameras/<int:pk>/recording/",
        views.RecordingPageView.as_view(),
        name="camera_recording",
    ),
    path(
        "cameras/<int:pk>/live/index.m3u8",
        views.LivePlaylistView.as_view(),
        name="camera_live_playlist",
    ),
    # Part names are checked again in playback.live_path; the pattern already keeps
    # slashes and dots out.
    re_path(
        r"^cameras/(?P<pk>[0-9]{1,18})/live/(?P<name>[A-Za-z0-9_-]{1,80}\.ts)$",
        views.LivePartView.as_view(),
        name="camera_live_part",
    ),
    path(
        "cameras/<int:pk>/playback.m3u8",
        views.PlaybackPlaylistView.as_view(),
        name="camera_playback",
    ),
    path(
        "cameras/<int:pk>/segments/<int:segment>.ts",
        views.SegmentView.as_view(),
        name="camera_segment",
    ),
    path(
        "cameras/<int:pk>/thumbnail.jpg",
        views.ThumbnailView.as_view(),
        name="camera_thumbnail",
    ),
    path(
        "cameras/<int:pk>/privacy-masks/",
        views_masks.MaskEditorView.as_view(),
        name="camera_masks",
    ),
    path(
        "cameras/<int:pk>/privacy-masks/still.jpg",
        views_masks.MaskStillView.as_view(),
        name="camera_mask_still",
    ),
    path(
        "cameras/<int:pk>/privacy-masks/<int:mask>/delete/",
        views_masks.MaskDeleteView.as_view(),
        name="camera_mask_delete",
    ),
    path("", include("vigie.recording.urls_holds")),
]
