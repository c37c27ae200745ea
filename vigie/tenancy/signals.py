"""What tenancy tells the apps built on it, without depending on them."""

from django.dispatch import Signal

# Sent once the reminder of approvals and authorisations nearing expiry is out, with
# ``users`` (the syndicate administrators told), ``text`` and ``link`` (the page to
# act on): the service desk puts it in their notification lists.
expiry_reminder_sent = Signal()
