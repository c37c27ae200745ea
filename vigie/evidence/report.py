"""The human-readable parts of a package: the extraction report (PDF, *procès-verbal
d'extraction*) and ``LISEZMOI.txt``. Both are in French: they go to French courts."""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

TEMPLATE = "evidence/proces_verbal.html"

README = """\
PAQUET DE PREUVE VIDÉO — {name}
{underline}

Ce dossier contient des images extraites du système de vidéoprotection, pour une
réquisition judiciaire. Le procès-verbal d'extraction
(proces-verbal-extraction.pdf) indique la réquisition, les caméras, les périodes
demandées et effectivement extraites (heure UTC et heure de Paris), les
interruptions d'enregistrement, les fichiers et leurs empreintes SHA-256.

Fichiers
--------
- *.mp4 : les images, lisibles par un lecteur courant (VLC, navigateur web). Elles
  sont copiées sans ré-encodage (sans perte de qualité), sauf pour une caméra dotée
  de masques de zones privées (ré-encodées, masques appliqués). Une piste de
  sous-titres donne, pour chaque seconde, la date, l'heure de Paris, le nom et
  l'emplacement de la caméra (dans VLC : Sous-titres > Piste de sous-titres).
- manifest.json : la description de l'extraction et l'empreinte SHA-256 de chaque
  fichier.
- manifest.json.sig : la signature Ed25519 de manifest.json par la clé du syndicat.
- public-key.pem, public-key.fingerprint.txt : la clé publique de vérification et
  son empreinte (SHA-256 des 32 octets de la clé), à comparer avec celle que le
  syndicat publie ou communique par un autre canal.
- SHA256SUMS, SHA256SUMS.sig : les empreintes de tous les fichiers et leur
  signature.

Vérifier l'intégrité sans logiciel particulier
----------------------------------------------
Dans ce dossier, sous Linux ou macOS :

    sha256sum -c SHA256SUMS        (macOS : shasum -a 256 -c SHA256SUMS)

Chaque ligne doit finir par « OK » (ou « Réussi »). Sous Windows (PowerShell) :

    Get-FileHash -Algorithm SHA256 *

et comparer avec SHA256SUMS.

Vérifier la signature (OpenSSL 3) :

    openssl pkeyutl -verify -pubin -inkey public-key.pem -rawin \\
        -in manifest.json -sigfile manifest.json.sig
    openssl pkeyutl -verify -pubin -inkey public-key.pem -rawin \\
        -in SHA256SUMS -sigfile SHA256SUMS.sig

Chacune doit répondre « Signature Verified Successfully ».

Vérifier avec Vigie
-------------------
    vigie evidence verify {name}        (ou le fichier .zip, ou l'image .iso)
    vigie evidence verify {name} --key cle-publique-du-syndicat.pem

La commande vérifie chaque empreinte, l'absence de fichier manquant ou ajouté, la
signature, et que la clé est bien celle du syndicat ; elle se termine par le code 0
seulement si tout est conforme et nomme sinon chaque anomalie.
"""


# Labels of the request's usual keys; other keys are shown as they are.
LABELS = {
    "reference": gettext_lazy("Reference"),
    "procedure_number": gettext_lazy("Procedure number"),
    "service": gettext_lazy("Requesting service"),
    "officer_name": gettext_lazy("Officer"),
    "officer_id": gettext_lazy("Officer ID"),
    "facts": gettext_lazy("Facts"),
    "received": gettext_lazy("Received"),
    "slug": gettext_lazy("Identifier"),
    "name": gettext_lazy("Name"),
    "insee_code": gettext_lazy("INSEE code"),
}


def _rows(values: dict[str, str]) -> list[tuple[str, str]]:
    known = [k for k in LABELS if k in values]
    others = sorted(k for k in values if k not in LABELS)
    return [(str(LABELS.get(k, k)), values[k]) for k in known + others]


def _shown(item: dict[str, Any]) -> dict[str, Any]:
    """An item of the manifest as the report shows it: its causes in French."""
    from vigie.evidence.plan import UNKNOWN_CAUSE

    gaps = [
        {**g, "cause": _(UNKNOWN_CAUSE) if g["cause"] == UNKNOWN_CAUSE else g["cause"]}
        for g in item["gaps"]
    ]
    return {**item, "gaps": gaps}


def readme(name: str) -> str:
    return README.format(name=name, underline="=" * (len(name) + 26))


def report_context(
    manifest: dict[str, Any], manifest_sha: str, hashes: dict[str, Any]
) -> dict[str, Any]:
    """What the report template shows (call it with French active)."""
    files = [{"name": n, "bytes": size, "sha256": sha} for n, (size, sha) in sorted(hashes.items())]
    return {
        "m": manifest,
        "items": [_shown(item) for item in manifest["items"]],
        "manifest_sha256": manifest_sha,
        "files": files,
        "requisition_rows": _rows(manifest["requisition"]),
        "member_rows": _rows(manifest["member"]),
    }


def render_report(manifest: dict[str, Any], manifest_sha: str, hashes: dict[str, Any]) -> bytes:
    from vigie.core.pdf import render_pdf

    with translation.override("fr"):
        return render_pdf(TEMPLATE, report_context(manifest, manifest_sha, hashes))
