"""The DCAT-AP catalogue of the open data, as JSON-LD.

CKAN's DCAT harvester (ckanext-dcat, which data.gov.ro's CKAN can run) parses JSON-LD with rdflib
and reads datasets, titles and descriptions per language, publisher, licence, update frequency,
keywords and distributions with their download URLs and media types. The vocabulary is DCAT-AP 2.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app

from cityreport.config import licence
from cityreport.opendata.rules import COLUMN_NAMES

CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "adms": "http://www.w3.org/ns/adms#",
}
MONTHLY = "http://publications.europa.eu/resource/authority/frequency/MONTHLY"
RON = "http://publications.europa.eu/resource/authority/language/RON"
ENG = "http://publications.europa.eu/resource/authority/language/ENG"
FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
THEME_GOVE = "http://publications.europa.eu/resource/authority/data-theme/GOVE"


def _text(ro: str, en: str) -> list[dict[str, str]]:
    return [{"@value": ro, "@language": "ro"}, {"@value": en, "@language": "en"}]


def _date(moment: datetime) -> dict[str, str]:
    return {"@value": moment.isoformat(timespec="seconds"), "@type": "xsd:dateTime"}


def _distribution(uri: str, download: str, title_ro: str, title_en: str, media_type: str, file_type: str,
                  licence_uri: str, modified: datetime) -> dict[str, Any]:
    return {
        "@id": uri,
        "@type": "dcat:Distribution",
        "dct:title": _text(title_ro, title_en),
        "dcat:accessURL": {"@id": download},
        "dcat:downloadURL": {"@id": download},
        "dcat:mediaType": {"@id": f"https://www.iana.org/assignments/media-types/{media_type}"},
        "dct:format": {"@id": FILE_TYPE + file_type},
        "dct:license": {"@id": licence_uri},
        "dct:modified": _date(modified),
    }


def build(base: str, city: str, reports_modified: datetime, indicators_modified: datetime) -> dict[str, Any]:
    """The catalogue; ``base`` is PUBLIC_BASE_URL, ``city`` the jurisdiction's name."""
    _name, licence_uri = licence(current_app.config["OPENDATA_LICENSE"])
    home = f"{base}/opendata"
    publisher = {
        "@id": f"{base}/#publisher",
        "@type": "foaf:Organization",
        "foaf:name": [{"@value": f"Primăria {city}", "@language": "ro"},
                      {"@value": f"{city} City Hall", "@language": "en"}],
        "foaf:homepage": {"@id": base + "/"},
    }
    contact = {"@type": "vcard:Organization", "vcard:fn": f"Primăria {city}",
               "vcard:hasURL": {"@id": home}}
    reports = {
        "@id": f"{home}#reports",
        "@type": "dcat:Dataset",
        "dct:identifier": f"{base}/opendata/reports",
        "dct:title": _text(f"Sesizări ale cetățenilor — {city}", f"Residents' reports — {city}"),
        "dct:description": _text(
            "Problemele semnalate de cetățeni (gropi, iluminat, deșeuri etc.), cu categoria, direcția "
            "responsabilă, starea și momentele primirii, confirmării și închiderii. Fără date personale. "
            "Coloane: " + ", ".join(COLUMN_NAMES) + ". Se poate filtra cu ?month=AAAA-LL sau ?from=&to=.",
            "Problems reported by residents (potholes, street lights, dumping, ...), with category, responsible "
            "department, status and when each was received, acknowledged and closed. No personal data. "
            "Columns: " + ", ".join(COLUMN_NAMES) + ". Filter with ?month=YYYY-MM or ?from=&to=."),
        "dcat:keyword": [{"@value": k, "@language": "ro"} for k in ("sesizări", "primărie", "OGP", "servicii")]
        + [{"@value": k, "@language": "en"} for k in ("reports", "city hall", "OGP", "311")],
        "dcat:theme": {"@id": THEME_GOVE},
        "dct:language": [{"@id": RON}, {"@id": ENG}],
        "dct:publisher": publisher,
        "dcat:contactPoint": contact,
        "dct:license": {"@id": licence_uri},
        "dct:accrualPeriodicity": {"@id": MONTHLY},
        "dct:modified": _date(reports_modified),
        "dcat:landingPage": {"@id": home},
        "dcat:distribution": [
            _distribution(f"{home}#reports-csv", f"{base}/opendata/reports.csv", "Sesizări (CSV)", "Reports (CSV)",
                          "text/csv", "CSV", licence_uri, reports_modified),
            _distribution(f"{home}#reports-geojson", f"{base}/opendata/reports.geojson", "Sesizări (GeoJSON)",
                          "Reports (GeoJSON)", "application/geo+json", "GEOJSON", licence_uri, reports_modified),
        ],
    }
    indicators = {
        "@id": f"{home}#indicators",
        "@type": "dcat:Dataset",
        "dct:identifier": f"{base}/opendata/indicators",
        "dct:title": _text(f"Indicatori lunari de răspuns — {city}", f"Monthly responsiveness indicators — {city}"),
        "dct:description": _text(
            "Câte sesizări au fost primite, rezolvate și în ce timp, lunar, pentru tot orașul, fiecare direcție "
            "și fiecare categorie. Definițiile sunt publicate pe pagina datelor deschise.",
            "How many reports were received and resolved and how fast, monthly, for the whole city, each "
            "department and each category. The definitions are published on the open-data page."),
        "dcat:keyword": [{"@value": "indicatori", "@language": "ro"}, {"@value": "indicators", "@language": "en"}],
        "dcat:theme": {"@id": THEME_GOVE},
        "dct:language": [{"@id": RON}, {"@id": ENG}],
        "dct:publisher": publisher,
        "dcat:contactPoint": contact,
        "dct:license": {"@id": licence_uri},
        "dct:accrualPeriodicity": {"@id": MONTHLY},
        "dct:modified": _date(indicators_modified),
        "dcat:landingPage": {"@id": home},
        "dcat:distribution": [
            _distribution(f"{home}#indicators-csv", f"{base}/opendata/indicators.csv", "Indicatori (CSV)",
                          "Indicators (CSV)", "text/csv", "CSV", licence_uri, indicators_modified),
        ],
    }
    return {
        "@context": CONTEXT,
        "@id": f"{base}/opendata/catalog.json",
        "@type": "dcat:Catalog",
        "dct:title": _text(f"Date deschise CityReport — {city}", f"CityReport open data — {city}"),
        "dct:description": _text(
            "Datele deschise ale serviciului de sesizări al primăriei, publicate pentru angajamentele OGP Local.",
            "The open data of the city hall's reporting service, published for its OGP Local commitments."),
        "dct:publisher": publisher,
        "dct:license": {"@id": licence_uri},
        "dct:language": [{"@id": RON}, {"@id": ENG}],
        "dct:modified": _date(max(reports_modified, indicators_modified)),
        "foaf:homepage": {"@id": home},
        "dcat:dataset": [reports, indicators],
    }
