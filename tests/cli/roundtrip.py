#!/usr/bin/python3
"""Compares the data cells of a progress report with those of a report Keikaku wrote.

  roundtrip.py SAMPLE.tsv REPORT.tsv

A data row is one that ends in 通番 and 達成度; rows are matched by 通番.  Each
row's cells are compared in order after normalising what a spreadsheet export
drifts in: white space, stray HTML tags, a measure number and its title in one
cell or in two, and cells shifted left or right (empty cells are not data).
Which column each value lands in is test_import's business, against
hand-written items.  Prints the figure; exits 1 unless every cell is equal.
"""
import sys, re, unicodedata
def norm(s):
    s = unicodedata.normalize('NFC', s)
    s = re.sub(r'<[^>]+>', ' ', s)          # stray HTML
    s = re.sub(r'\s+', ' ', s).strip()
    return s
CIRCLED = set(chr(c) for c in range(0x2460, 0x2474)) | set(chr(c) for c in range(0x3251, 0x325f)) | set(chr(c) for c in range(0x32b1, 0x32c0))
def tokens(cells):
    out = []
    for c in cells:
        c = norm(c)
        if not c:
            continue
        # a measure number and its title in one cell, or in two
        if c[0] in CIRCLED and len(c) > 1:
            out.append(c[0]); rest = c[1:].strip()
            if rest: out.append(rest)
        else:
            out.append(c)
    return out
def data_rows(path):
    rows = {}
    for n, line in enumerate(open(path, encoding='utf-8-sig').read().split('\n'), 1):
        cells = line.split('\t')
        t = tokens(cells)
        # a data row ends in 通番 and 達成度
        if len(t) >= 4 and re.fullmatch(r'[0-9]+', t[-2]) and t[-1] in ('導入完了', '取り下げ', '—'):
            rows[int(t[-2])] = (n, t)
    return rows
def headings(path):
    return [norm(l) for l in open(path, encoding='utf-8-sig').read().split('\n')
            if re.match(r'\s*(計画の柱 |\([0-9]+\) )', l)]
sample, report = data_rows(sys.argv[1]), data_rows(sys.argv[2])
total = same = 0
bad = []
for item, (n, want) in sorted(sample.items()):
    got = report.get(item, (0, []))[1]
    for i, cell in enumerate(want):
        total += 1
        if i < len(got) and got[i] == cell:
            same += 1
        else:
            bad.append((item, n, i, cell[:30], got[i][:30] if i < len(got) else None))
    if len(got) > len(want):
        for i in range(len(want), len(got)):
            bad.append((item, n, i, None, got[i][:30]))
            total += 1
extra = sorted(set(report) - set(sample))
hs, hr = headings(sys.argv[1]), headings(sys.argv[2])
print(f"headings: {sum(1 for h in hs if h in hr)} of {len(hs)} pillar and section headings equal")
print(f"round trip: {same} of {total} data cells of {len(sample)} rows equal ({100.0 * same / max(total,1):.1f}%)")
for b in bad[:20]:
    print("  item %d (sample line %d), cell %d: sample %r, report %r" % b)
if extra: print("  rows only in the report:", extra)
sys.exit(0 if same == total and not extra and total > 0 and hs == hr else 1)
