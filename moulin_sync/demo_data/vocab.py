"""Fixed vocabularies the demo-data generator samples from.

Kept apart from the generator so the generation logic stays readable. Everything
here is a plain tuple: the generator samples it with its own seeded
`random.Random`, which keeps the output deterministic whatever Faker's version does
to its own randomness.
"""

from __future__ import annotations

from typing import Final

from faker.providers.person.fr_FR import Provider as _FrenchPerson

# Faker is used once, as a word list only (calling it per row is slow, and its
# seeding is not stable across versions).
FIRST_NAMES_FEMALE: Final[tuple[str, ...]] = tuple(_FrenchPerson.first_names_female)
FIRST_NAMES_MALE: Final[tuple[str, ...]] = tuple(_FrenchPerson.first_names_male)
LAST_NAMES: Final[tuple[str, ...]] = tuple(_FrenchPerson.last_names)

# (city, postcode, weight, has_pickup_points). The mill is near Lyon: most customers
# live in the Rhône and neighbouring departments, the web shop ships nationwide.
CITIES: Final[tuple[tuple[str, str, int, bool], ...]] = (
    ("Lyon 1er", "69001", 40, True),
    ("Lyon 2e", "69002", 45, True),
    ("Lyon 3e", "69003", 70, True),
    ("Lyon 4e", "69004", 40, True),
    ("Lyon 5e", "69005", 40, True),
    ("Lyon 6e", "69006", 55, True),
    ("Lyon 7e", "69007", 65, True),
    ("Lyon 8e", "69008", 50, True),
    ("Lyon 9e", "69009", 40, True),
    ("Villeurbanne", "69100", 70, True),
    ("Caluire-et-Cuire", "69300", 25, True),
    ("Vénissieux", "69200", 22, True),
    ("Bron", "69500", 20, True),
    ("Vaulx-en-Velin", "69120", 18, True),
    ("Écully", "69130", 12, True),
    ("Tassin-la-Demi-Lune", "69160", 12, True),
    ("Oullins", "69600", 14, True),
    ("Saint-Priest", "69800", 16, True),
    ("Décines-Charpieu", "69150", 12, False),
    ("Meyzieu", "69330", 12, False),
    ("Rillieux-la-Pape", "69140", 12, False),
    ("Sainte-Foy-lès-Lyon", "69110", 12, True),
    ("Villefranche-sur-Saône", "69400", 18, True),
    ("Givors", "69700", 8, False),
    ("Limonest", "69760", 6, False),
    ("L'Arbresle", "69210", 6, False),
    ("Vienne", "38200", 12, True),
    ("Grenoble", "38000", 25, True),
    ("Bourgoin-Jallieu", "38300", 8, False),
    ("Saint-Étienne", "42000", 22, True),
    ("Roanne", "42300", 8, False),
    ("Bourg-en-Bresse", "01000", 12, True),
    ("Annecy", "74000", 12, False),
    ("Chambéry", "73000", 10, False),
    ("Mâcon", "71000", 8, False),
    ("Valence", "26000", 10, False),
    ("Clermont-Ferrand", "63000", 10, False),
    ("Paris 11e", "75011", 10, False),
    ("Paris 15e", "75015", 10, False),
    ("Paris 18e", "75018", 7, False),
    ("Boulogne-Billancourt", "92100", 4, False),
    ("Montreuil", "93100", 4, False),
    ("Marseille 6e", "13006", 7, False),
    ("Aix-en-Provence", "13100", 4, False),
    ("Toulouse", "31000", 6, False),
    ("Bordeaux", "33000", 6, False),
    ("Nantes", "44000", 5, False),
    ("Rennes", "35000", 4, False),
    ("Lille", "59000", 5, False),
    ("Strasbourg", "67000", 4, False),
    ("Nice", "06000", 4, False),
    ("Montpellier", "34000", 5, False),
    ("Dijon", "21000", 5, False),
    ("Besançon", "25000", 3, False),
    ("Tours", "37000", 3, False),
    ("Angers", "49000", 3, False),
    ("Limoges", "87000", 2, False),
    ("Reims", "51100", 2, False),
    ("Le Mans", "72000", 2, False),
    ("Avignon", "84000", 3, False),
    ("Perpignan", "66000", 2, False),
    ("Ajaccio", "20000", 1, False),
)

STREET_TYPES: Final[tuple[str, ...]] = (
    "rue",
    "rue",
    "rue",
    "avenue",
    "boulevard",
    "place",
    "chemin",
    "impasse",
    "allée",
    "quai",
    "cours",
    "montée",
    "route",
)

STREET_NAMES: Final[tuple[str, ...]] = (
    "Victor Hugo",
    "Jean Jaurès",
    "de la République",
    "Pasteur",
    "du Général de Gaulle",
    "Gambetta",
    "de la Paix",
    "des Lilas",
    "du Moulin",
    "de la Gare",
    "Émile Zola",
    "Jules Ferry",
    "des Écoles",
    "de l'Église",
    "Voltaire",
    "Paul Bert",
    "Garibaldi",
    "de la Croix-Rousse",
    "Saint-Jean",
    "des Tilleuls",
    "des Vignes",
    "du Château",
    "Anatole France",
    "Pierre Curie",
    "Marie Curie",
    "de Verdun",
    "Carnot",
    "Lamartine",
    "de la Liberté",
    "des Marronniers",
    "Mercière",
    "de Créqui",
    "Vauban",
    "Duguesclin",
    "Bellecour",
    "des Canuts",
    "Lafayette",
    "Berthelot",
    "de Saxe",
    "Félix Faure",
    "du Repos",
    "des Blés",
    "de la Meunière",
    "Sully",
    "Masséna",
)

STREET_NUMBER_SUFFIXES: Final[tuple[str, ...]] = ("", "", "", "", "", "", "", "", " bis", " ter")

EMAIL_DOMAINS: Final[tuple[tuple[str, int], ...]] = (
    ("gmail.com", 32),
    ("orange.fr", 18),
    ("free.fr", 11),
    ("laposte.net", 6),
    ("sfr.fr", 7),
    ("wanadoo.fr", 6),
    ("outlook.fr", 6),
    ("yahoo.fr", 6),
    ("hotmail.fr", 5),
    ("icloud.com", 3),
)

# Leading digits of the 9 national digits after the 0 of a French number. Real
# allocated ranges, so the generated numbers pass libphonenumber.
MOBILE_06_PREFIXES: Final[tuple[str, ...]] = ("60", "61", "62", "64", "65", "66", "67", "68")
MOBILE_07_PREFIXES: Final[tuple[str, ...]] = ("73", "74", "75", "76", "77", "78")
# 04 is south-east France, where the mill is.
LANDLINE_04_PREFIXES: Final[tuple[str, ...]] = (
    "472",
    "478",
    "437",
    "426",
    "481",
    "477",
    "474",
    "450",
)
LANDLINE_OTHER_PREFIXES: Final[tuple[str, ...]] = (
    "142",
    "143",
    "145",
    "240",
    "299",
    "320",
    "388",
    "556",
    "561",
    "950",
    "972",
)

# Each pickup point is a partner shop: "Point retrait — Boulangerie X, Lyon 3e".
PICKUP_HOSTS: Final[tuple[str, ...]] = (
    "Boulangerie {last}",
    "Épicerie {last}",
    "Biocoop {city}",
    "Fromagerie {last}",
    "Primeur {first}",
    "Café {last}",
    "La Ruche qui dit Oui ! {city}",
    "Librairie {last}",
    "Cave {last}",
    "Marché couvert {city}",
    "Maison {last}",
)

SECTORS: Final[tuple[tuple[str, int], ...]] = (
    ("boulangerie", 28),
    ("pâtisserie", 10),
    ("restaurant", 22),
    ("épicerie fine", 10),
    ("hôtel", 5),
    ("traiteur", 7),
    ("crèche", 5),
    ("cantine scolaire", 5),
    ("pizzeria", 5),
    ("crêperie", 3),
)

COMPANY_NAME_TEMPLATES: Final[dict[str, tuple[str, ...]]] = {
    "boulangerie": (
        "Boulangerie {last}",
        "Le Fournil de {first}",
        "Maison {last}",
        "Au Bon Pain de {city}",
        "Boulangerie du Marché",
    ),
    "pâtisserie": ("Pâtisserie {last}", "Les Délices de {first}", "Maison {last} Pâtissier"),
    "restaurant": (
        "Restaurant {last}",
        "Bouchon {last}",
        "Chez {first}",
        "Brasserie du Parc",
        "Le Comptoir de {first}",
        "La Table de {first}",
    ),
    "épicerie fine": ("Épicerie fine {last}", "Le Garde-Manger de {city}", "Comptoir {last}"),
    "hôtel": ("Hôtel des Remparts", "Hôtel {last}", "Hôtel du Lac", "Auberge {last}"),
    "traiteur": ("Traiteur {last}", "{last} Réceptions", "Saveurs de {first}"),
    "crèche": ("Crèche Les Petits Loups", "Micro-crèche Les Lucioles", "Crèche Les Coccinelles"),
    "cantine scolaire": ("Cantine scolaire de {city}", "Restauration scolaire {city}"),
    "pizzeria": ("Pizzeria {first}", "Pizzeria Da {first}", "Il Forno {last}"),
    "crêperie": ("Crêperie {last}", "Ty Billig {first}"),
}

LEGAL_FORMS: Final[tuple[str, ...]] = ("", "", "", " SARL", " SAS", " EURL", " SASU")

CONTACT_ROLES: Final[tuple[tuple[str, int], ...]] = (
    ("Gérant·e", 35),
    ("Acheteur·se", 20),
    ("Comptable", 12),
    ("Chef·fe de cuisine", 14),
    ("Chef·fe boulanger·ère", 8),
    ("Directeur·rice", 6),
    ("Assistant·e de direction", 5),
)

CUSTOMER_NOTES: Final[tuple[str, ...]] = (
    "Allergie aux fruits à coque.",
    "Intolérance au gluten : préfère les farines de sarrasin.",
    "Merci de sonner à l'interphone (code 4512B).",
    "Client fidèle depuis l'ouverture.",
    "Préfère être contacté par SMS.",
    "A demandé une facture au nom de l'association.",
    "Ne pas appeler avant 10 h.",
    "Commande souvent pour sa mère, même adresse.",
)

ORDER_NOTES: Final[tuple[str, ...]] = (
    "Mettre de côté jusqu'à samedi.",
    "Farine T80 remplacée par T65 (rupture).",
    "Livrer avant 7 h, porte de service.",
    "Sac abîmé à la livraison, geste commercial fait.",
    "Paiement par chèque à réception.",
    "Cadeau : pas de prix sur le ticket.",
    "Retrait par un proche (M. Martin).",
)

# Real back-office data holds names typed on every keyboard: other scripts, emoji,
# combining accents. (first name, last name) pairs.
EXOTIC_NAMES: Final[tuple[tuple[str, str], ...]] = (
    ("Zoë 🌾", "Müller-Nguyễn"),
    ("Иван", "Petrov"),
    ("李", "Martin"),
    ("محمد", "Benali"),
    ("Aïcha", "بن علي"),
    ("Σοφία", "Dupont"),
    ("Ngọc Anh", "Trần"),
    ("Björk", "Guðmundsdóttir"),
    ("Дмитрий", "Lefèvre"),
    ("さくら", "Bernard"),
    ("Chloé 😊", "Durand"),
    ("Łukasz", "Wójcik-Moreau"),
    ("Noé 🥖", "Ben Saïd"),
    ("Søren", "Østergård"),
    ("Ana-María", "Núñez 🌻"),
    ("Yasmine", "El-Fassi ✨"),
)

# Invalid email shapes seen in the wild; {local} is the customer's name-based local
# part, {domain} one of EMAIL_DOMAINS.
INVALID_EMAIL_TEMPLATES: Final[tuple[str, ...]] = (
    "{local}@",
    "{first} {last}@{domain}",
    "@{domain}",
    "pas-d-email",
    "{local}@{bare_domain}",
    "{local}..{n}@{domain}",
    "{local}@@{domain}",
    "{local}.{domain}",
    "{local}@{domain}.",
    "non communiqué",
)

LONG_NOTE_LENGTH: Final[int] = 70_000
_LONG_NOTE_UNIT = (
    "Échange avec le client (copié-collé depuis la messagerie) : « Bonjour, je vous "
    "écris au sujet de ma commande de farine de seigle T130 et de petit épeautre… "
    "Merci d'avance, bonne journée ! » \u2014 réponse envoyée, à relancer.\n"
)
LONG_NOTE: Final[str] = (_LONG_NOTE_UNIT * (LONG_NOTE_LENGTH // len(_LONG_NOTE_UNIT) + 1))[
    :LONG_NOTE_LENGTH
]
"""A pasted e-mail thread: exactly LONG_NOTE_LENGTH characters, with newlines."""
