#!/usr/bin/env python3
"""A messy contacts CSV for the import benchmark, deterministic for a given size.

    bench/contacts_csv.py ROWS OUT.csv

Every row has first name, last name, email, phone, company, title. Mixed in, as a real export
would have them: 2% repeat an earlier row's email in different case, 1% have an invalid email,
companies with commas (quoted), names with accents and non-Latin scripts. Prints one line of
counts so the benchmark can check the importer's.
"""
import csv
import random
import sys

FIRST = ["Ada", "Grace", "José", "Zoë", "Łukasz", "Søren", "Anaïs", "Björn", "Chloé", "Dmitri",
         "Élodie", "François", "Jürgen", "Mía", "Noël", "Oğuz", "Renée", "Siobhán", "Tomás", "王伟",
         "山田", "Αλέξης", "Иван", "Priya", "Kwame", "Aroha", "Linnea", "Matteo", "Nadia", "Omar"]
LAST = ["Lovelace", "Hopper", "García", "Müller", "Nowak", "Kjær", "Dubois", "Åström", "O'Brien",
        "Núñez", "Çelik", "Smith", "Jones", "Rossi", "Kowalski", "Nakamura", "Ivanova", "Okafor",
        "Tanaka", "Silva", "Novák", "Horvát", "Fischer", "Dupont", "Costa", "Patel", "Kim", "Nguyen"]
COMPANY = ["Acme, Inc", "Globex", "Initech", "Umbrella, Ltd", "Hooli", "Stark Industries",
           "Wayne Enterprises", "Soylent", "Cyberdyne Systems", "Tyrell, Corp", "Vandelay Industries",
           "Wonka", "Aperture Science", "Monsters, Inc", "Gringotts"]
TITLE = ["CEO", "CTO", "Head of Sales", "Buyer", "Procurement, EMEA", "Engineer", "Office Manager", ""]


def main() -> None:
    rows, out = int(sys.argv[1]), sys.argv[2]
    rnd = random.Random(7)
    dup = invalid = 0
    emails: list[str] = []
    with open(out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["First Name", "Last Name", "Email", "Phone", "Company", "Title"])
        for i in range(rows):
            first, last = rnd.choice(FIRST), rnd.choice(LAST)
            roll = rnd.random()
            if roll < 0.02 and emails:
                email = rnd.choice(emails).upper()
                dup += 1
            elif roll < 0.03:
                email = f"person{i}.example.com"
                invalid += 1
            else:
                email = f"person{i}@example{i % 97}.com"
                if len(emails) < 100_000:
                    emails.append(email)
            phone = f"+1 555 {rnd.randrange(1000000):07d}"
            company = f"{rnd.choice(COMPANY)} {i % 5000}"
            w.writerow([first, last, email, phone, company, rnd.choice(TITLE)])
    print(f"rows={rows} duplicate_emails={dup} invalid_emails={invalid}")


if __name__ == "__main__":
    main()
