"""The demo city's fixed data: a plausible Romanian municipality, its departments and categories."""

from __future__ import annotations

from cityreport.reports.rules import ACKNOWLEDGED, FIXED, IN_PROGRESS, INVALID, NOT_RESPONSIBLE, UNABLE_TO_FIX

CITY = {
    "slug": "municipiul-demo",
    "name": "Municipiul Someșeni (demo)",
    "population": 286_598,
    "center": (46.7712, 23.6236),  # lat, lon
}

# slug, Romanian name, English name, e-mail, is_fallback
DEPARTMENTS = [
    ("drumuri", "Direcția Drumuri și Infrastructură", "Roads and Infrastructure", "drumuri@demo.primaria.ro", False),
    ("iluminat", "Serviciul Iluminat Public", "Public Lighting", "iluminat@demo.primaria.ro", False),
    ("salubritate", "Serviciul Salubritate", "Sanitation", "salubritate@demo.primaria.ro", False),
    ("salubritate-vest", "Salubritate Zona Vest (operator Eco Vest SRL)", "Sanitation West zone (Eco Vest SRL)",
     "dispecerat@ecovest.demo.ro", False),
    ("salubritate-est", "Salubritate Zona Est (operator Curat Est SA)", "Sanitation East zone (Curat Est SA)",
     "sesizari@curatest.demo.ro", False),
    ("spatii-verzi", "Direcția Spații Verzi", "Parks and Green Spaces", "spatiiverzi@demo.primaria.ro", False),
    ("politia-locala", "Poliția Locală", "Local Police", "politia.locala@demo.primaria.ro", False),
    ("circulatie", "Serviciul Circulație și Semaforizare", "Traffic and Signals", "circulatie@demo.primaria.ro",
     False),
    ("dispecerat", "Dispeceratul Primăriei", "City Hall Dispatch", "dispecerat@demo.primaria.ro", True),
]

# code, ro, en, group ro, group en, department slug (None: the dispatcher), ack hours, resolve days, weight
CATEGORIES = [
    ("groapa", "Groapă în carosabil", "Pothole", "Drumuri și trotuare", "Roads and pavements", "drumuri", 48, 14, 16),
    ("trotuar", "Trotuar deteriorat", "Damaged pavement", "Drumuri și trotuare", "Roads and pavements", "drumuri",
     72, 30, 7),
    ("capac-canal", "Capac de canal lipsă sau spart", "Missing or broken manhole cover", "Drumuri și trotuare",
     "Roads and pavements", "drumuri", 12, 3, 3),
    ("iluminat-defect", "Stâlp de iluminat nefuncțional", "Street light out", "Iluminat public", "Street lighting",
     "iluminat", 48, 7, 14),
    ("iluminat-avariat", "Stâlp de iluminat avariat", "Damaged lamp post", "Iluminat public", "Street lighting",
     "iluminat", 24, 14, 3),
    ("deseuri-abandonate", "Deșeuri abandonate", "Illegal dumping", "Curățenie", "Cleanliness", "salubritate",
     48, 5, 14),
    ("pubele-pline", "Pubele pline sau nepreluate", "Overflowing or missed bins", "Curățenie", "Cleanliness",
     "salubritate", 24, 2, 9),
    ("animal-mort", "Animal mort pe domeniul public", "Dead animal on public land", "Curățenie", "Cleanliness",
     "salubritate", 12, 1, 2),
    ("copac-periculos", "Copac periculos sau căzut", "Dangerous or fallen tree", "Spații verzi", "Parks and trees",
     "spatii-verzi", 24, 10, 6),
    ("loc-de-joaca", "Loc de joacă deteriorat", "Damaged playground", "Spații verzi", "Parks and trees",
     "spatii-verzi", 72, 30, 4),
    ("spatiu-verde", "Spațiu verde neîngrijit", "Neglected green space", "Spații verzi", "Parks and trees",
     "spatii-verzi", 96, 30, 4),
    ("masina-abandonata", "Mașină abandonată", "Abandoned vehicle", "Ordine publică", "Public order",
     "politia-locala", 72, 60, 4),
    ("parcare-trotuar", "Parcare pe trotuar sau spațiu verde", "Parking on pavement or grass", "Ordine publică",
     "Public order", "politia-locala", 24, 7, 6),
    ("semafor-defect", "Semafor defect", "Traffic light out", "Circulație", "Traffic", "circulatie", 4, 2, 4),
    ("indicator-rutier", "Indicator rutier lipsă sau deteriorat", "Missing or damaged road sign", "Circulație",
     "Traffic", "circulatie", 48, 21, 3),
    ("altele", "Altă problemă", "Another problem", "Altele", "Other", None, 72, 30, 3),
]

# What residents write, per category (Romanian, as they would).
DESCRIPTIONS = {
    "groapa": ["Groapă mare pe banda întâi, mașinile o ocolesc pe contrasens.",
               "După ploaie s-a format o groapă adâncă lângă trecerea de pietoni.",
               "Asfaltul s-a surpat în dreptul blocului, e periculos pentru bicicliști."],
    "trotuar": ["Dale desprinse pe trotuar, o doamnă în vârstă s-a împiedicat ieri.",
                "Trotuarul e rupt de rădăcini, nu se poate trece cu căruciorul."],
    "capac-canal": ["Lipsește capacul de canal chiar pe trecerea de pietoni!",
                    "Capac de canal spart, se mișcă la fiecare mașină."],
    "iluminat-defect": ["Trei stâlpi consecutivi nu mai funcționează de o săptămână, strada e complet întunecată.",
                        "Becul de la stâlpul din fața școlii pâlpâie și se stinge.",
                        "Nu funcționează iluminatul pe aleea dintre blocuri."],
    "iluminat-avariat": ["Stâlp de iluminat înclinat după un accident, cablurile atârnă.",
                         "Cutia de la baza stâlpului e deschisă, se văd firele."],
    "deseuri-abandonate": ["Cineva a aruncat moloz și mobilă veche lângă râu.",
                           "Saci cu gunoi menajer abandonați la marginea parcului.",
                           "Deșeuri din construcții lăsate pe spațiul verde de lângă garaje."],
    "pubele-pline": ["Containerele de la punctul gospodăresc nu au fost golite de 4 zile.",
                     "Pubelele de reciclabile sunt pline, gunoiul e pe jos."],
    "animal-mort": ["Câine mort pe marginea drumului, lângă stația de autobuz.",
                    "Pisică moartă pe trotuar în fața magazinului."],
    "copac-periculos": ["Un copac mare s-a rupt în furtună și blochează aleea.",
                        "Creangă uscată deasupra locului de parcare, poate cădea oricând."],
    "loc-de-joaca": ["Leagănul are lanțul rupt, copiii se pot răni.",
                     "Tobogan cu margini tăioase și șuruburi ieșite."],
    "spatiu-verde": ["Iarba nu a mai fost tăiată de două luni, sunt bălării înalte.",
                     "Spațiul verde din intersecție este plin de buruieni și gunoaie."],
    "masina-abandonata": ["Mașină fără numere, cu roțile dezumflate, parcată de luni de zile.",
                          "Autoturism abandonat, acoperit de frunze, ocupă un loc de parcare."],
    "parcare-trotuar": ["Mașini parcate zilnic pe trotuar, pietonii merg pe carosabil.",
                        "Se parchează pe spațiul verde din fața blocului."],
    "semafor-defect": ["Semaforul pentru pietoni nu trece niciodată pe verde.",
                       "Semaforul de la intersecție arată galben intermitent de azi dimineață."],
    "indicator-rutier": ["Indicatorul de STOP a fost smuls și aruncat în șanț.",
                         "Indicatorul de trecere de pietoni e acoperit complet de crengi."],
    "altele": ["Banca din stația de autobuz este ruptă.",
               "Gard metalic căzut pe trotuar după vânt puternic."],
}

STREETS = ["Strada Memorandumului", "Bulevardul 21 Decembrie 1989", "Strada Horea", "Calea Dorobanților",
           "Strada Observatorului", "Calea Florești", "Strada Moților", "Bulevardul Muncii", "Strada Avram Iancu",
           "Calea Turzii", "Strada Fabricii", "Strada Primăverii", "Aleea Detunata", "Strada Traian Vuia",
           "Strada Nicolae Titulescu", "Calea Mănăștur", "Strada Mihai Viteazu", "Strada Teodor Mihali"]

PUBLIC_NOTES = {
    ACKNOWLEDGED: ["Am primit sesizarea și am repartizat-o echipei de intervenție.",
                     "Sesizarea a fost înregistrată. Revenim cu detalii după constatarea din teren."],
    IN_PROGRESS: ["Echipa a fost în teren; lucrarea este programată în această săptămână.",
                    "Am început lucrările. Vă mulțumim pentru răbdare."],
    FIXED: ["Problema a fost remediată. Vă mulțumim pentru sesizare!",
              "Lucrarea a fost finalizată astăzi."],
    NOT_RESPONSIBLE: ["Zona aparține administratorului drumului național; am transmis sesizarea către CNAIR.",
                        "Terenul este proprietate privată; am notificat proprietarul."],
    UNABLE_TO_FIX: ["Lucrarea necesită o investiție inclusă în bugetul anului viitor.",
                      "Intervenția nu este posibilă până la finalizarea lucrărilor la rețeaua de gaz."],
    INVALID: ["Sesizarea nu descrie o problemă de pe domeniul public."],
}

NAMES = ["Ioana Popescu", "Andrei Ionescu", "Maria Pop", "Alexandru Moldovan", "Elena Rusu", "Mihai Muresan",
         "Ana Dumitrescu", "Radu Stan", "Cristina Matei", "Vlad Lazăr"]

STAFF = [
    # e-mail, name, role, department slug, password
    ("admin@demo.primaria.ro", "Administrator Primărie", "city_admin", None, "demo-admin-parola"),
    ("sef.drumuri@demo.primaria.ro", "Ion Vasilescu", "dept_admin", "drumuri", "demo-sef-drumuri"),
    ("clerk.drumuri@demo.primaria.ro", "Georgiana Pavel", "staff", "drumuri", "demo-clerk-drumuri"),
    ("clerk.iluminat@demo.primaria.ro", "Florin Dobre", "staff", "iluminat", "demo-clerk-iluminat"),
    ("clerk.salubritate@demo.primaria.ro", "Simona Barbu", "staff", "salubritate", "demo-clerk-salubritate"),
    ("dispecer@demo.primaria.ro", "Dan Oprea", "staff", "dispecerat", "demo-dispecerat-2026"),
]
