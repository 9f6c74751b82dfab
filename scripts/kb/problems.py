"""Problems found in curators' files, and the table of every error code.

Each code has one line of meaning, an example message and the fix; the curators' guide and the
tests are both checked against this table, so the documentation cannot drift from the code.
"""
from __future__ import annotations

from dataclasses import dataclass

ERROR = "error"
WARNING = "warning"

# code: (severity, what it means, how to fix it)
CODES: dict[str, tuple[str, str, str]] = {
    "KB101": (ERROR, "the file is not valid UTF-8", "re-save the file as UTF-8"),
    "KB102": (ERROR, "YAML syntax error", "fix the YAML at the position named"),
    "KB103": (ERROR, "a tab character in indentation", "indent with spaces only"),
    "KB104": (ERROR, "the file is empty", "add content or delete the file"),
    "KB105": (ERROR, "the file is too large", "split it into several files"),
    "KB106": (ERROR, "a key repeated in one mapping", "keep one of the two keys"),
    "KB107": (ERROR, "a YAML 1.1 surprise: an unquoted value read as a boolean, date or number",
              "put the value in quotes"),
    "KB108": (ERROR, "a YAML tag other than the core ones (!!str, !!int, !!float, !!bool, !!null, !!map, !!seq)",
              "remove the tag; quote the value if it is text"),
    "KB201": (ERROR, "the file's top level has the wrong shape", "follow the template in CONTRIBUTING.md"),
    "KB202": (ERROR, "a required key is missing", "add the key"),
    "KB203": (ERROR, "an unknown key", "rename it to a known key (see the field reference)"),
    "KB204": (ERROR, "a value of the wrong type", "give a value of the type named"),
    "KB205": (ERROR, "an empty text value", "write the text, or remove the optional key"),
    "KB206": (ERROR, "an evidence type outside the vocabulary",
              "use one of: animal, human trial, anecdote, in vitro"),
    "KB207": (ERROR, "a malformed id", "use lowercase letters, digits and single hyphens"),
    "KB208": (ERROR, "a malformed compound identifier (PubChem CID, CAS, ChEBI)",
              "copy the identifier exactly from its record"),
    "KB209": (ERROR, "a value outside its allowed set", "use one of the values listed"),
    "KB210": (ERROR, "a verdict outside the vocabulary",
              "use one of: supported, overstated, contradicted, unverified (see CONTRIBUTING.md)"),
    "KB211": (ERROR, "a required list is empty", "list at least one item"),
    "KB212": (ERROR, "a number that is not finite (.nan, .inf)", "write the number as digits"),
    "KB213": (ERROR, "a molecular formula not written in Hill notation",
              "write element symbols with their counts, C first, H second, then the rest alphabetically, like C3H7NO2"),
    "KB214": (ERROR, "a molar mass that disagrees with the formula by more than 0.05 g/mol",
              "copy the formula and molar mass again from the same record"),
    "KB301": (ERROR, "an id used twice", "give each record its own id"),
    "KB302": (ERROR, "two ids that differ only by case or punctuation (they would share a page)",
              "rename one of them"),
    "KB303": (ERROR, "a reference to an entity that does not exist", "use an existing id or add the entity"),
    "KB304": (ERROR, "a citation key missing from references.bib", "add the entry or fix the key"),
    "KB305": (ERROR, "a claim's source is not a declared source article",
              "add it to claims/entities/sources.yaml or fix the key"),
    "KB306": (WARNING, "an entity or study record that no claim refers to", "refer to it from a claim or remove it"),
    "KB307": (ERROR, "a finding whose evidence type is not the type of any study it cites",
              "use the evidence type of the cited study record (claims/entities/studies/), or cite the study that has it"),
    "KB308": (ERROR, "a finding that cites no study with a study record",
              "cite the study and give it a record in claims/entities/studies/, or make the statement a background note"),
    "KB309": (ERROR, "a study record with no entry in references.bib", "add the entry or fix the record's id"),
    "KB310": (ERROR, "a source note whose identification disagrees with its references.bib entry",
              "an 'unresolved' note points to an entry with an `unresolved` field; an identified or probable one does not"),
    "KB311": (ERROR, "a claim's note number that its source does not list",
              "add the note to the source's `notes`, or fix the number"),
    "KB312": (WARNING, "a references.bib entry nothing cites", "cite it or remove it"),
    "KB313": (ERROR, "a reserved name used as an id or key (index)", "choose another id"),
    "KB314": (ERROR, "a compound's bottom line for a condition no finding about the compound concerns",
              "write it for a condition the compound's findings concern, or remove it"),
    "KB315": (ERROR, "a compound's structure drawing missing from docs/assets/structures/",
              "add the SVG file under docs/assets/structures/, or fix the file name"),
    "KB401": (ERROR, "a BibTeX entry that does not parse", "fix the entry's braces, commas and quotes"),
    "KB402": (ERROR, "a BibTeX key used twice", "give each entry its own key"),
    "KB403": (ERROR, "a malformed DOI", "write the bare DOI, like 10.1000/xyz123"),
    "KB404": (ERROR, "a malformed PMID", "write digits only, like 12345678"),
    "KB405": (ERROR, "a malformed PMCID", "write PMC followed by digits, like PMC1234567"),
    "KB406": (ERROR, "a malformed URL", "write a full http(s) address without spaces"),
    "KB407": (ERROR, "a BibTeX entry without a title, or without a year and not marked unresolved",
              "add the field, or an `unresolved` field saying what is known"),
    "KB408": (ERROR, "a malformed BibTeX key", "use letters, digits, hyphens, underscores and colons"),
    "KB409": (ERROR, "references.bib is too large",
              "remove entries nothing cites and long fields the site does not show (abstracts, keywords)"),
    "KB410": (ERROR, "an author, editor or translator name that cannot be read",
              "write each person as 'Last, First' or 'First Last', joined by ' and '; "
              "brace an organisation's name: {{World Health Organization}}"),
}


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    line: int
    col: int
    code: str
    message: str

    @property
    def severity(self) -> str:
        return CODES[self.code][0]

    def format(self) -> str:
        fix = CODES[self.code][2]
        tag = "" if self.severity == ERROR else "warning: "
        return f"{self.path}:{self.line}:{self.col}: {self.code} {tag}{self.message} (fix: {fix})"


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == ERROR]


class ValidationFailed(Exception):
    """Raised with every problem found, once all were collected. Its message lists the errors
    first, then the warnings."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        self.error_count = len(errors(self.problems))
        shown = sorted(self.problems, key=lambda p: p.severity != ERROR)  # stable: by file within each
        super().__init__("\n".join(p.format() for p in shown))
