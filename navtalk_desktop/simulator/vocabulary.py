"""The simulator brain's vocabulary: words, concepts and the patterns it reads values with.

Which words carry no intent, which words mean the same thing, what a city, a number, a date,
an e-mail or a phone number looks like in a user's turn.
"""

from __future__ import annotations

import re

# Words that carry no intent; tool descriptions are full of them.
_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "at",
        "for",
        "from",
        "by",
        "with",
        "about",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "am",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "what",
        "whats",
        "which",
        "who",
        "whom",
        "how",
        "when",
        "where",
        "why",
        "can",
        "could",
        "would",
        "should",
        "will",
        "shall",
        "may",
        "might",
        "must",
        "do",
        "does",
        "did",
        "done",
        "please",
        "me",
        "my",
        "mine",
        "you",
        "your",
        "yours",
        "we",
        "our",
        "us",
        "i",
        "he",
        "she",
        "they",
        "them",
        "their",
        "there",
        "here",
        "if",
        "then",
        "than",
        "so",
        "as",
        "not",
        "no",
        "yes",
        "just",
        "some",
        "any",
        "all",
        "each",
        "every",
        "other",
        "function",
        "call",
        "calls",
        "called",
        "calling",
        "method",
        "trigger",
        "triggered",
        "triggers",
        "invoke",
        "use",
        "used",
        "using",
        "user",
        "users",
        "input",
        "inputs",
        "request",
        "requests",
        "content",
        "message",
        "messages",
        "raw",
        "data",
        "value",
        "values",
        "parameter",
        "parameters",
        "get",
        "gets",
        "set",
        "tool",
        "tools",
        "want",
        "need",
        "like",
        "tell",
        "give",
        "let",
        "s",
        "t",
    ]
)

# Concept groups: any word of a group stands for the group's first word.
_CONCEPTS: tuple[tuple[str, ...], ...] = (
    (
        "weather",
        "temperature",
        "forecast",
        "rain",
        "raining",
        "sunny",
        "snow",
        "snowing",
        "wind",
        "windy",
        "humid",
        "humidity",
        "climate",
        "hot",
        "cold",
        "degrees",
    ),
    ("time", "clock", "hour", "hours", "date", "day", "today", "now", "timezone"),
    ("book", "booking", "reserve", "reservation", "appointment", "schedule", "slot"),
    ("cancel", "cancellation", "revoke", "undo"),
    (
        "close",
        "end",
        "bye",
        "goodbye",
        "hang",
        "hangup",
        "stop",
        "quit",
        "exit",
        "finish",
        "terminate",
        "talk",
        "conversation",
    ),
    ("order", "buy", "purchase", "checkout", "cart"),
    ("search", "find", "look", "lookup", "query"),
    ("email", "mail", "inbox"),
    ("phone", "dial", "ring"),
    ("price", "cost", "costs", "quote", "expensive", "cheap"),
    ("calculate", "add", "sum", "plus", "minus", "multiply", "divide", "math", "number", "numbers"),
    ("translate", "translation", "language"),
    ("music", "play", "song", "songs"),
    ("light", "lights", "lamp", "brightness"),
    ("room", "rooms", "hotel", "checkin", "check"),
    ("doctor", "clinic", "symptom", "symptoms", "medical", "patient"),
    ("stock", "stocks", "share", "shares", "ticker"),
    ("news", "headline", "headlines"),
)
_CONCEPT_OF = {word: group[0] for group in _CONCEPTS for word in group}

_SMALL_TALK: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"^\W*(hi|hello|hey|good (morning|afternoon|evening))\b[\w\s,!.']{0,20}$", re.I),
        "Hello! How can I help you today?",
    ),
    (re.compile(r"^\W*(thanks|thank you|cheers)\b[\w\s,!.']{0,20}$", re.I), "You're welcome!"),
    (re.compile(r"^\W*(ok|okay|great|cool|nice)\W*$", re.I), "Great. Anything else?"),
)

# Parameter names that take the user's raw words (the seed's userInput).
_FREE_TEXT = frozenset(
    [
        "userinput",
        "user_input",
        "input",
        "query",
        "text",
        "question",
        "message",
        "utterance",
        "request",
        "prompt",
        "content",
        "sentence",
        "userquery",
        "user_query",
        "usertext",
        "user_text",
        "userrequest",
        "user_request",
        "transcript",
    ]
)
_PLACE = frozenset(
    [
        "city",
        "location",
        "place",
        "destination",
        "origin",
        "address",
        "country",
        "region",
        "area",
        "town",
        "departure",
        "arrival",
        "from",
        "to",
        "where",
    ]
)
_NUMERIC_HINTS = ("number", "amount", "count", "quantity", "qty", "age", "price", "total")
_NAME = frozenset(
    ["name", "fullname", "full_name", "person", "customer", "guest", "patient", "username"]
)

_CITIES = (
    "Beijing",
    "Shanghai",
    "Shenzhen",
    "Guangzhou",
    "Hong Kong",
    "Tokyo",
    "Osaka",
    "Seoul",
    "Singapore",
    "Bangkok",
    "Delhi",
    "Mumbai",
    "Dubai",
    "Istanbul",
    "Moscow",
    "London",
    "Paris",
    "Berlin",
    "Madrid",
    "Barcelona",
    "Rome",
    "Milan",
    "Amsterdam",
    "Vienna",
    "Zurich",
    "Stockholm",
    "Oslo",
    "Copenhagen",
    "Dublin",
    "Lisbon",
    "Prague",
    "Warsaw",
    "Cairo",
    "Lagos",
    "Nairobi",
    "Johannesburg",
    "New York",
    "Los Angeles",
    "San Francisco",
    "Chicago",
    "Boston",
    "Seattle",
    "Miami",
    "Toronto",
    "Vancouver",
    "Montreal",
    "Mexico City",
    "Sao Paulo",
    "Buenos Aires",
    "Sydney",
    "Melbourne",
    "Auckland",
)
_CITY_RE = re.compile(r"\b(" + "|".join(re.escape(c) for c in _CITIES) + r")\b", re.I)
_CITY_CANON = {c.lower(): c for c in _CITIES}
_CAPITALISED = r"[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)*"
_AFTER_PREP = {
    prep: re.compile(rf"\b{prep}\s+(?:the\s+)?({_CAPITALISED})")
    for prep in ("in", "at", "for", "to", "from", "near")
}
_NUMBER_WORDS = {
    w: i
    for i, w in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
            "twenty",
        ]
    )
}
_NUMBER_RE = re.compile(r"-?\d+(?:[.,]\d+)?|\b(" + "|".join(_NUMBER_WORDS) + r")\b", re.I)
_NEGATION = re.compile(r"\b(no|not|don't|dont|do not|never|false|off|disable|without|nope)\b", re.I)
_AFFIRM = re.compile(r"\b(yes|true|on|enable|with|please do|sure)\b", re.I)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"\+?\d[\d\s().-]{6,}\d")
_ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_TIME = re.compile(r"\b\d{1,2}(?::\d{2})?\s?(?:am|pm)\b|\b\d{1,2}:\d{2}\b", re.I)
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_WORD = re.compile(r"[a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _words(text: str) -> list[str]:
    return _WORD.findall(_CAMEL.sub(" ", text).replace("_", " ").lower())


def _concepts(text: str) -> set[str]:
    found = set()
    for word in _words(text):
        if word in _STOPWORDS or len(word) < 2:
            continue
        stem = (
            word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word
        )
        found.add(_CONCEPT_OF.get(word, _CONCEPT_OF.get(stem, stem)))
    return found


def _norm(name: str) -> str:
    return name.replace("-", "_").lower()
