#!/usr/bin/env python3
"""Writes CDNOW's real purchases the way a German ERP exports them (this example's data/ folder).

Every value is CDNOW's (examples/cdnow/data/transactions.csv); only the form changes:
- one file per month, `umsatz-YYYY-MM.csv`, Windows-1252, `;`-separated, CRLF line ends;
- a title line above the header and a "Summe" totals line at the end;
- German headers, dates as dd.mm.yyyy, amounts with a decimal comma, `.` thousands and a ` $` suffix;
- a customer master `kunden.csv` from another system (the CRM, saved by Excel as "CSV UTF-8": UTF-8
  with a byte-order mark, `;`, CRLF) whose ids carry the `K-` prefix, with the day and month of the
  first purchase (the cohort, taken from the data) and, for the customers whose orders were all
  zero-value, a remark in quotes holding a `;` and a line break.

Run from the repository root: python3 examples/cdnow-de/make-data.py [OUT]
(OUT: another folder to write to, e.g. for tests/european.rs to compare with data/; default data/).
"""
import csv
import os
import sys
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "..", "cdnow", "data", "transactions.csv")
MONTHS = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
          "Oktober", "November", "Dezember"]


def german_whole(n):
    return f"{n:,}".replace(",", ".")


def german_amount(cents):
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}{german_whole(whole)},{frac:02d} $"


def cents(text):
    whole, _, frac = text.partition(".")
    return int(whole) * 100 + int((frac + "00")[:2])


def main():
    by_month = defaultdict(list)
    first = {}
    revenue = defaultdict(int)
    with open(SOURCE, newline="") as f:
        for row in csv.DictReader(f):
            d = row["date"]
            by_month[d[:6]].append((row["customer_id"], d, int(row["number_of_cds"]),
                                    cents(row["dollar_value"])))
            first[row["customer_id"]] = min(first.get(row["customer_id"], d), d)
            revenue[row["customer_id"]] += cents(row["dollar_value"])
    last = max(max(rows, key=lambda r: r[1])[1] for rows in by_month.values())
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "data")
    os.makedirs(out, exist_ok=True)
    for month, rows in sorted(by_month.items()):
        y, m = month[:4], int(month[4:])
        path = os.path.join(out, f"umsatz-{y}-{m:02d}.csv")
        with open(path, "w", encoding="cp1252", newline="") as f:
            f.write(f"Umsatzübersicht {MONTHS[m - 1]} {y} (Export aus der Warenwirtschaft);;;\r\n")
            f.write("Kundennr.;Belegdatum;Stückzahl;Umsatz\r\n")
            for cid, d, qty, c in rows:
                f.write(f"{cid};{d[6:]}.{d[4:6]}.{d[:4]};{qty};{german_amount(c)}\r\n")
            total_qty = sum(r[2] for r in rows)
            total = sum(r[3] for r in rows)
            f.write(f"Summe;;{german_whole(total_qty)};{german_amount(total)}\r\n")
    # Excel's "CSV UTF-8" writes a byte-order mark; a line break inside a cell is a bare LF.
    remark = f'"Nur Nullbelege (0,00 $); kein Umsatz\nbis {last[6:]}.{last[4:6]}.{last[:4]}"'
    with open(os.path.join(out, "kunden.csv"), "w", encoding="utf-8-sig", newline="") as f:
        f.write("Kundennummer;Erstkauf;Kohorte;Bemerkung\r\n")
        for cid in sorted(first):
            d = first[cid]
            note = remark if revenue[cid] <= 0 else ""
            f.write(f"K-{cid};{d[6:]}.{d[4:6]}.{d[:4]};{MONTHS[int(d[4:6]) - 1]} {d[:4]};{note}\r\n")


if __name__ == "__main__":
    main()
