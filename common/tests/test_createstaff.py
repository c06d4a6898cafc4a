import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_createstaff_creates_an_admin_site_superuser_then_resets_its_password():
    call_command("createstaff", email="ops@example.com", password="first-pass-1")
    call_command("createstaff", email="ops@example.com", password="second-pass-2")

    users = get_user_model().objects.filter(username="ops@example.com")
    assert users.count() == 1
    user = users.get()
    assert (user.is_staff, user.is_superuser, user.is_active, user.email) == (
        True,
        True,
        True,
        "ops@example.com",
    )
    assert user.check_password("second-pass-2")
