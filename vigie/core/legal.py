"""Figures the law fixes, in one place (see docs/architecture.md for the sources)."""

from datetime import timedelta

# CSI L252-5: recorded images are kept 30 days at most.
MAX_RETENTION_DAYS = 30
MIN_RETENTION_DAYS = 1
# CSI L252-4: an authorisation lasts 5 years; the renewal file is due 4 months before expiry.
AUTHORISATION_VALIDITY_YEARS = 5
AUTHORISATION_RENEWAL_NOTICE = timedelta(days=122)
# CSI L252-2: a non-police agent who views images needs the prefect's approval (agrément),
# re-examined every 5 years; we warn as early as for authorisations.
APPROVAL_VALIDITY_YEARS = 5
APPROVAL_RENEWAL_NOTICE = timedelta(days=122)
