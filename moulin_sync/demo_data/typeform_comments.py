"""French NPS comments for the demo Typeform answers: by how the customer feels, of any
length (a word, a few sentences, a letter; one of exactly `LONGEST` characters)."""

from __future__ import annotations

import random

LONGEST = 10_000

PROMOTER = (
    "Le pain au levain est excellent, toute la famille l'adore.",
    "Farines de grande qualité, mes brioches n'ont jamais été aussi bonnes.",
    "Retrait au point relais très pratique, merci !",
    "Super accueil au moulin, on sent la passion du métier.",
    "Je recommande sans hésiter la farine de petit épeautre.",
    "Livraison rapide et produits toujours frais.",
    "Enfin une farine locale, bio et tracée. Bravo.",
    "L'application est simple, je commande en deux minutes.",
    "Très bon rapport qualité-prix pour de la meule de pierre.",
    "Top !",
    "Parfait.",
    "Mes clients de la boulangerie voient la différence.",
)
PASSIVE = (
    "Bons produits mais les prix ont augmenté ces derniers mois.",
    "Correct, même si le point relais ferme un peu tôt le samedi.",
    "La farine est bonne, l'application pourrait être plus claire.",
    "Satisfait dans l'ensemble, quelques retards de livraison.",
    "J'aimerais plus de sachets de 1 kg pour tester les variétés.",
    "Bien, sans plus.",
    "Rien à redire sur la qualité, le site est un peu lent.",
    "Il manque parfois la farine de seigle en stock.",
)
DETRACTOR = (
    "Commande arrivée avec un sac percé, de la farine partout.",
    "Trois semaines pour être livré, ce n'est pas acceptable.",
    "Le service client ne répond pas au téléphone.",
    "Trop cher par rapport au supermarché.",
    "Le point relais a changé sans que je sois prévenu.",
    "Farine de sarrasin trop grossière pour mes crêpes.",
    "Facture fausse deux fois de suite.",
    "Déçu.",
    "L'application plante au moment de payer.",
)
CONNECTORS = ("Par ailleurs,", "En revanche,", "Aussi,", "Sinon,", "Et puis", "Bref,")
# How long a comment is: (weight, sentences); 0 sentences is no comment at all.
LENGTHS = ((35, 0), (40, 1), (20, 3), (5, 12))


def pool(score: int) -> tuple[str, ...]:
    return PROMOTER if score >= 9 else PASSIVE if score >= 7 else DETRACTOR


def comment(rng: random.Random, score: int) -> str | None:
    """A comment matching `score` (0–10), or None for a respondent who wrote nothing."""
    weights, sentences = zip(*LENGTHS, strict=True)
    count = rng.choices(sentences, weights=weights)[0]
    if count == 0:
        return None
    return _sentences(rng, pool(score), rng.randint(max(1, count - 1), count + 1))


def longest_comment(rng: random.Random, score: int) -> str:
    """A letter of exactly `LONGEST` characters (a respondent with a lot to say), cut off
    mid-sentence by the form's limit."""
    phrases = pool(score)
    letter = ""
    while len(letter) < LONGEST:
        letter += _sentences(rng, phrases, 4) + "\n\n"
    return letter[: LONGEST - 1] + "…"


def _sentences(rng: random.Random, phrases: tuple[str, ...], count: int) -> str:
    parts = [rng.choice(phrases)]
    for _ in range(count - 1):
        phrase = rng.choice(phrases)
        parts.append(f"{rng.choice(CONNECTORS)} {phrase[0].lower()}{phrase[1:]}")
    return " ".join(parts)
