"""What Le Moulin's support desk hears about: ticket subjects (with their Freshdesk type
and tags), the sentences of a customer's message, the support agents, the spam, and the
one pasted 70,000-character message. Sampled by `freshdesk_world` with its seeded rng."""

from __future__ import annotations

from typing import Final

# (subject, Freshdesk type or None, tags to draw from, sentence of the message)
TOPICS: Final[tuple[tuple[str, str | None, tuple[str, ...], str], ...]] = (
    ("Commande {order} non reçue", "Problem", ("livraison", "retard"),
     "J'ai passé la commande {order} il y a {days} jours et je n'ai toujours rien reçu."),
    ("Retard de livraison au point de retrait", "Problem", ("livraison", "point-retrait"),
     "Le point de retrait m'indique que le colis n'est pas encore arrivé."),
    ("Sac de farine abîmé à la livraison", "Incident", ("qualite", "livraison"),
     "Le sac de farine T65 est arrivé éventré, une partie de la farine s'est répandue."),
    ("Erreur dans ma commande {order}", "Incident", ("commande", "erreur-preparation"),
     "J'ai reçu de la farine de blé T80 au lieu de la farine de seigle T130 commandée."),
    ("Article manquant dans la commande {order}", "Incident", ("commande", "erreur-preparation"),
     "Il manque le sachet de levain déshydraté dans mon colis."),
    ("Demande de facture pour la commande {order}", "Question", ("facturation",),
     "Pourriez-vous m'envoyer la facture de ma commande {order} pour ma comptabilité ?"),
    ("Paiement refusé alors que ma carte est valide", "Problem", ("paiement",),
     "Le paiement par carte est refusé à chaque tentative depuis ce matin."),
    ("Double prélèvement sur la commande {order}", "Refund", ("paiement", "remboursement"),
     "Ma banque indique deux prélèvements identiques pour la même commande."),
    ("Annulation de ma commande {order}", "Question", ("commande", "annulation"),
     "Je souhaite annuler ma commande {order}, elle n'est pas encore partie je crois."),
    ("Remboursement toujours pas reçu", "Refund", ("remboursement",),
     "Vous m'aviez annoncé un remboursement il y a {days} jours, je ne vois rien passer."),
    ("Changement d'adresse de livraison", "Question", ("compte", "adresse"),
     "Je déménage le mois prochain : comment modifier mon adresse de livraison ?"),
    ("Allergènes de la farine de petit épeautre", "Question", ("produit", "allergenes"),
     "La farine de petit épeautre est-elle moulue sur une meule qui traite aussi du sarrasin ?"),
    ("Disponibilité de la farine de seigle T130", "Question", ("produit", "stock"),
     "La farine de seigle T130 est indiquée en rupture : quand revient-elle ?"),
    ("Horaires du point de retrait", "Question", ("point-retrait",),
     "Le point de retrait est-il ouvert le samedi après-midi ?"),
    ("Impossible de me connecter à mon compte", "Problem", ("compte", "connexion"),
     "Le lien de réinitialisation du mot de passe ne fonctionne pas."),
    ("Devis pour une commande professionnelle", "Question", ("b2b", "devis"),
     "Nous sommes une boulangerie et souhaitons un devis pour 300 kg de farine par mois."),
    ("Tarifs professionnels pour notre boulangerie", "Question", ("b2b", "tarifs"),
     "Proposez-vous des tarifs dégressifs pour les professionnels ?"),
    ("Modifier ma livraison récurrente", "Question", ("b2b", "abonnement"),
     "Nous voudrions passer la livraison hebdomadaire au mardi au lieu du jeudi."),
    ("Produit reçu avec une date dépassée", "Incident", ("qualite",),
     "Le paquet de flocons d'avoine reçu a une date de durabilité dépassée."),
    ("Suggestion : des sacs de 25 kg", "Feature Request", ("suggestion",),
     "Ce serait pratique de pouvoir commander la farine en sacs de 25 kg."),
    ("Le code promo ne fonctionne pas", "Problem", ("paiement", "promotion"),
     "Le code de la lettre d'information est refusé au moment de payer."),
    ("Suppression de mes données personnelles", None, ("rgpd", "compte"),
     "Je vous demande de supprimer mon compte et mes données personnelles."),
)  # fmt: skip

OPENINGS: Final[tuple[str, ...]] = ("Bonjour,", "Bonjour Madame, Monsieur,", "Bonsoir,")
FOLLOW_UPS: Final[tuple[str, ...]] = (
    "Pouvez-vous me tenir au courant ?",
    "Merci d'avance pour votre aide.",
    "C'est la deuxième fois que cela arrive.",
    "Je reste joignable par téléphone si besoin.",
    "Je vous joins une photo dès que possible.",
    "Merci pour votre réactivité habituelle.",
)
CLOSINGS: Final[tuple[str, ...]] = ("Cordialement,", "Bien à vous,", "Merci,", "Bonne journée,")

# (name, email, job title): the support team, the tickets' responders.
AGENTS: Final[tuple[tuple[str, str, str], ...]] = (
    ("Camille Roux", "camille.roux@lemoulin.example", "Service client"),
    ("Julien Petit", "julien.petit@lemoulin.example", "Service client"),
    ("Sophie Garnier", "sophie.garnier@lemoulin.example", "Responsable du service client"),
)

# Requesters matching no customer of the App du Moulin: prospects, the curious, spam.
UNKNOWN_DOMAINS: Final[tuple[str, ...]] = ("exemple.org", "courriel.test", "mail.invalid.test")
SPAM_SUBJECT: Final[str] = "Félicitations ! Vous avez gagné un robot pâtissier"
SPAM_BODY: Final[str] = "Cliquez vite sur ce lien pour recevoir votre cadeau."
FOREIGN_COMPANY: Final[str] = "Traiteur Les Saveurs d'Antan"
"""A Freshdesk company that the App du Moulin does not have."""
WINDOW_TAG: Final[str] = "cloture-automatique"
"""The tag of the tickets an automation closed in one batch (the big window)."""

LONG_DESCRIPTION_LENGTH: Final[int] = 70_000
_LONG_UNIT = (
    "Copie de l'échange avec le transporteur : « Le colis de farine de meule T110 a été "
    "déposé au mauvais point de retrait, puis renvoyé au dépôt de Vénissieux… » "
    "Relance faite par téléphone, sans réponse à ce jour.\n"
)


def long_description() -> str:
    """A pasted thread: exactly LONG_DESCRIPTION_LENGTH characters of HTML."""
    inner = LONG_DESCRIPTION_LENGTH - len("<div></div>")
    return "<div>" + (_LONG_UNIT * (inner // len(_LONG_UNIT) + 1))[:inner] + "</div>"
