#!/usr/bin/python3
"""Extract data and certified values from the NIST StRD linear least-squares files.

Reads test/data/nist/<Name>.dat (unchanged NIST files) and writes, beside them:

  <Name>.csv             header "y,x" or "y,x1,...,x6"; each data row with the
                         numbers exactly as written in the .dat file (the
                         original decimal text, only the whitespace replaced
                         by commas)
  certified.csv          dataset,term,estimate,std_error   (term B0..Bk as NIST
                         names them; NoInt1/NoInt2 have only B1)
  certified_stats.csv    dataset,residual_sd,r_squared,df_resid

Line ranges come from each file's header ("Certified Values (lines a to b)",
"Data (lines c to d)"; lines numbered from 1).  Certified numbers are written
with repr() of the parsed double: NIST quotes 15 significant digits, so the
shortest round-trip repr is the same decimal value, and it parses back to the
same double.

Run from anywhere:  /usr/bin/python3 test/ref/nist_extract.py
"""

import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
NIST_DIR = os.path.normpath(os.path.join(HERE, "..", "data", "nist"))

DATASETS = ["Norris", "Pontius", "NoInt1", "NoInt2", "Filip", "Longley",
            "Wampler1", "Wampler2", "Wampler3", "Wampler4", "Wampler5"]

RANGE_RE = re.compile(r"^\s*(Certified Values|Data)\s*\(lines\s+(\d+)\s+to\s+(\d+)\)")
TERM_RE = re.compile(r"^\s*(B\d+)\s+(\S+)\s+(\S+)\s*$")
RESID_SD_RE = re.compile(r"^\s*Standard Deviation\s+(\S+)\s*$")
R2_RE = re.compile(r"^\s*R-Squared\s+(\S+)\s*$")
ANOVA_RESID_RE = re.compile(r"^Residual\s+(\d+)\s+\S+\s+\S+\s*$")


def num(text):
    """Parse a NIST number (Fortran style, e.g. '-0.358191792925910E-01' or '557028453333333.')."""
    return repr(float(text))


def parse(name):
    path = os.path.join(NIST_DIR, name + ".dat")
    with open(path, encoding="ascii") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()

    ranges = {}
    for line in lines[:10]:
        m = RANGE_RE.match(line)
        if m:
            ranges[m.group(1)] = (int(m.group(2)), int(m.group(3)))
    if set(ranges) != {"Certified Values", "Data"}:
        sys.exit("%s: could not find both line ranges in the header" % name)

    c0, c1 = ranges["Certified Values"]
    cert = lines[c0 - 1:c1]
    terms, resid_sd, r2, df_resid = [], None, None, None
    for line in cert:
        m = TERM_RE.match(line)
        if m:
            terms.append((m.group(1), num(m.group(2)), num(m.group(3))))
            continue
        m = RESID_SD_RE.match(line)
        if m:
            resid_sd = num(m.group(1))
            continue
        m = R2_RE.match(line)
        if m:
            r2 = num(m.group(1))
            continue
        m = ANOVA_RESID_RE.match(line)
        if m:
            df_resid = int(m.group(1))
    if not terms or resid_sd is None or r2 is None or df_resid is None:
        sys.exit("%s: incomplete certified block in lines %d..%d" % (name, c0, c1))
    # the term names must be B0..Bk in order (B1 alone for no-intercept files)
    first = 1 if name.startswith("NoInt") else 0
    expect = ["B%d" % i for i in range(first, first + len(terms))]
    if [t[0] for t in terms] != expect:
        sys.exit("%s: unexpected terms %r" % (name, [t[0] for t in terms]))

    d0, d1 = ranges["Data"]
    head = lines[d0 - 2]
    if not head.startswith("Data:"):
        sys.exit("%s: line %d is not the data header" % (name, d0 - 1))
    cols = head[len("Data:"):].split()
    rows = []
    for i in range(d0 - 1, d1):
        fields = lines[i].split()
        if len(fields) != len(cols):
            sys.exit("%s: line %d has %d fields, expected %d" % (name, i + 1, len(fields), len(cols)))
        for fld in fields:
            float(fld)      # must be a number; the text itself is kept
        rows.append(fields)
    # nothing but blank lines may follow the data block
    if any(l.strip() for l in lines[d1:]):
        sys.exit("%s: non-blank lines after line %d" % (name, d1))
    return cols, rows, terms, resid_sd, r2, df_resid


def main():
    cert_rows = []
    stat_rows = []
    for name in DATASETS:
        cols, rows, terms, resid_sd, r2, df_resid = parse(name)
        n = len(rows)
        if df_resid != n - len(terms):
            sys.exit("%s: df_resid %d != n %d - p %d" % (name, df_resid, n, len(terms)))
        with open(os.path.join(NIST_DIR, name + ".csv"), "w", newline="\n") as f:
            f.write(",".join(cols) + "\n")
            for r in rows:
                f.write(",".join(r) + "\n")
        for term, est, se in terms:
            cert_rows.append("%s,%s,%s,%s" % (name, term, est, se))
        stat_rows.append("%s,%s,%s,%d" % (name, resid_sd, r2, df_resid))
        print("%-9s n=%3d p=%2d cols=%s" % (name, n, len(terms), ",".join(cols)))
    with open(os.path.join(NIST_DIR, "certified.csv"), "w", newline="\n") as f:
        f.write("dataset,term,estimate,std_error\n")
        f.write("\n".join(cert_rows) + "\n")
    with open(os.path.join(NIST_DIR, "certified_stats.csv"), "w", newline="\n") as f:
        f.write("dataset,residual_sd,r_squared,df_resid\n")
        f.write("\n".join(stat_rows) + "\n")


if __name__ == "__main__":
    main()
