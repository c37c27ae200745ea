from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError

from vigie.core import services as core
from vigie.core.testing import make_authorisation, make_camera, make_member, make_user
from vigie.inventory import services
from vigie.inventory.models import Authorisation, Camera
from vigie.inventory.validators import normalise_ip, normalise_mac, parse_decimal

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "raw", ["00:0c:29:00:00:01", "00-0C-29-00-00-01", "000c.2900.0001", "000C29000001"]
)
def test_mac_spellings_normalise(raw):
    assert normalise_mac(raw) == "00:0C:29:00:00:01"


@pytest.mark.parametrize("raw", ["", "00:0C:29:00:00", "GG:0C:29:00:00:01", "01:00:5E:00:00:01"])
def test_bad_macs_are_refused(raw):
    with pytest.raises(ValidationError):
        normalise_mac(raw)


def test_ip_and_decimal_parsing():
    assert normalise_ip(" 192.168.1.7 ") == "192.168.1.7"
    with pytest.raises(ValidationError):
        normalise_ip("192.168.1.300")
    assert str(parse_decimal("48,754321")) == "48.754321"
    assert parse_decimal("") is None
    with pytest.raises(ValidationError):
        parse_decimal("48°45'")


def test_unnormalised_mac_on_model_is_refused():
    with pytest.raises(ValidationError):
        make_camera(make_member(), mac_address="00-0c-29-00-00-99")


def test_unknown_purpose_and_bad_stream_url_are_refused():
    m = make_member()
    with pytest.raises(ValidationError) as err:
        make_camera(m, purposes=["crime_prevention", "facial_recognition"])
    assert "purposes" in err.value.message_dict
    with pytest.raises(ValidationError):
        make_camera(m, rtsp_main="http://example.invalid/stream")


def test_site_of_another_member_is_refused():
    from vigie.core.testing import make_site

    a, b = make_member(), make_member()
    with pytest.raises(ValidationError) as err:
        make_camera(a, site=make_site(b))
    assert "site" in err.value.message_dict


def test_authorisation_lasts_five_years_at_most():
    m = make_member()
    with pytest.raises(ValidationError):
        make_authorisation(m, issued_on=date(2024, 1, 1), expires_on=date(2029, 1, 2))
    with pytest.raises(ValidationError):
        make_authorisation(m, issued_on=date(2024, 1, 1), expires_on=date(2023, 1, 1))
    make_authorisation(m, issued_on=date(2024, 2, 29), expires_on=date(2029, 2, 28))


def test_authorisation_cannot_cover_another_members_camera():
    a, b = make_member(), make_member()
    auth = make_authorisation(a)
    cam_b = make_camera(b)
    with pytest.raises(ValidationError):
        core.save(auth, {"cameras": [cam_b]})
    assert not auth.cameras.exists()


def test_expiring_and_unauthorised_lists():
    m = make_member()
    today = date.today()
    soon = make_authorisation(
        m, issued_on=today - timedelta(days=1700), expires_on=today + timedelta(days=60)
    )
    later = make_authorisation(m)
    expired_cam, covered_cam = make_camera(m), make_camera(m)
    make_authorisation(
        m,
        [expired_cam],
        issued_on=today - timedelta(days=800),
        expires_on=today - timedelta(days=1),
    )
    later.cameras.set([covered_cam])
    admin = make_user(role="syndicate_admin", members=[m])
    assert list(services.expiring_authorisations(admin)) == [soon]
    assert soon.expires_soon() and not later.expires_soon()
    unauthorised = set(services.unauthorised_cameras(admin))
    assert expired_cam in unauthorised and covered_cam not in unauthorised


def test_revoked_authorisation_no_longer_allows_enabling():
    m = make_member()
    cam = make_camera(m, rtsp_main="rtsp://127.0.0.1:8554/a")
    auth = make_authorisation(m, [cam], revoked=True)
    with pytest.raises(ValidationError):
        services.set_enabled(cam, True)
    auth.revoked = False
    auth.save()
    services.set_enabled(Camera.objects.unrestricted().get(pk=cam.pk), True)
    assert Authorisation.objects.unrestricted().get(pk=auth.pk).is_valid()
