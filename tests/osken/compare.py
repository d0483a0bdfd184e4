#!/usr/bin/env python3
"""compare.py - the verdict of the os-ken conformance run (tests/osken).

Reads the per-case results of one run with gswitch as the target and one with
OVS 3.1 as the target (written by conformance.sh run), and the committed list
of the cases gswitch fails, each with a reason (known-failures.txt). Writes a
summary with counts and exits 1 when

  - gswitch fails a case that is not in the list (a regression, or a case
    that needs a reason), or
  - a listed case now passes on gswitch (take it off the list: the list only
    shrinks as the features land), or
  - the list disagrees with OVS's results (a "gap" case OVS does not pass, a
    "both" or "artefact" case OVS passes), or names a case the suite lacks.

known-failures.txt:  '#' comments; reason lines
    [TAG] KIND: why
with KIND gap (OVS passes, gswitch does not yet), both (both fail; gswitch
should pass), artefact (both fail because of the suite itself: neither is
wrong), unsupported (both fail: a feature OVS 3.1 does not have either, such
as PBB) or unstable (the verdict depends on the machine's load, e.g. the
throughput cases, where the tester's Python sends the traffic: not gated in
either direction, only counted); and case lines
    TAG <TAB> FILE-DESCRIPTION <TAB> CASE-DESCRIPTION
"""
import argparse
import collections
import sys

KINDS = ('gap', 'both', 'artefact', 'unsupported', 'unstable')


def read_results(path):
    res = collections.OrderedDict()
    head = []
    with open(path, encoding='utf-8') as f:
        for line in f:
            line = line.rstrip('\n')
            if line.startswith('#'):
                head.append(line)
                continue
            if not line:
                continue
            parts = line.split('\t')
            if len(parts) < 3:
                raise SystemExit('%s: bad line %r' % (path, line))
            res[(parts[0], parts[1])] = (parts[2], parts[3] if len(parts) > 3 else '')
    return res, head


def read_known(path):
    reasons = collections.OrderedDict()
    cases = collections.OrderedDict()
    with open(path, encoding='utf-8') as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip('\n')
            if not line.strip() or line.startswith('#'):
                continue
            if line.startswith('['):
                tag, rest = line[1:].split(']', 1)
                kind, why = rest.strip().split(':', 1)
                if kind not in KINDS:
                    raise SystemExit('%s:%d: kind %r is not one of %s' % (path, n, kind, KINDS))
                reasons[tag] = (kind, why.strip())
                continue
            parts = line.split('\t')
            if len(parts) != 3 or parts[0] not in reasons:
                raise SystemExit('%s:%d: want TAG<TAB>FILE<TAB>CASE with a TAG defined above: %r' % (path, n, line))
            key = (parts[1], parts[2])
            if key in cases:
                raise SystemExit('%s:%d: listed twice: %s / %s' % (path, n, key[0], key[1]))
            cases[key] = parts[0]
    return reasons, cases


def group(key):
    # "match: 08_IPV4_SRC" -> "match"
    return key[0].split(':', 1)[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--ovs', required=True)
    ap.add_argument('--gswitch', required=True)
    ap.add_argument('--known', required=True)
    ap.add_argument('--summary')
    a = ap.parse_args()

    ovs, ovs_head = read_results(a.ovs)
    gs, gs_head = read_results(a.gswitch)
    reasons, known = read_known(a.known)

    problems = []
    if set(ovs) != set(gs):
        problems.append('the two runs have different cases: %d only with OVS, %d only with gswitch'
                        % (len(set(ovs) - set(gs)), len(set(gs) - set(ovs))))
    ok = lambda r, k: k in r and r[k][0] == 'OK'

    for key in gs:
        if key in known and reasons[known[key]][0] == 'unstable':
            continue
        if ok(gs, key):
            if key in known:
                problems.append('now passes, take it off the list [%s]: %s / %s' % (known[key], *key))
            continue
        if key not in known:
            problems.append('gswitch fails, not in the list (OVS: %s): %s / %s: %s'
                            % (ovs.get(key, ('?',))[0], key[0], key[1], gs[key][1]))
            continue
        kind = reasons[known[key]][0]
        if kind == 'gap' and not ok(ovs, key):
            problems.append('listed as [%s] (a gap: OVS passes) but OVS fails: %s / %s' % (known[key], *key))
        if kind in ('both', 'artefact', 'unsupported') and ok(ovs, key):
            problems.append('listed as [%s] (%s: OVS fails too) but OVS passes: %s / %s'
                            % (known[key], kind, *key))
    for key in known:
        if key not in gs:
            problems.append('listed but not in the suite: %s / %s' % key)

    # counts
    total = len(gs)
    n_ovs = sum(ok(ovs, k) for k in gs)
    n_gs = sum(ok(gs, k) for k in gs)
    both_ok = sum(ok(ovs, k) and ok(gs, k) for k in gs)
    only_ovs = [k for k in gs if ok(ovs, k) and not ok(gs, k)]
    only_gs = [k for k in gs if ok(gs, k) and not ok(ovs, k)]
    neither = [k for k in gs if not ok(gs, k) and not ok(ovs, k)]
    by_tag = collections.Counter(known.get(k, '(unlisted)') for k in gs if not ok(gs, k))

    out = []
    p = out.append
    p('os-ken OpenFlow Switch Test Tool, OpenFlow 1.3 suite: summary (written by tests/osken/compare.py)')
    p('')
    for h in ovs_head[1:3] + ['#'] + gs_head[1:3]:
        p(h)
    p('')
    p('%d cases. OVS 3.1 passes %d, gswitch %d; both %d.' % (total, n_ovs, n_gs, both_ok))
    p('OVS passes and gswitch fails: %d. gswitch passes and OVS fails: %d. Both fail: %d.'
      % (len(only_ovs), len(only_gs), len(neither)))
    p('')
    p('gswitch failures by reason (known-failures.txt):')
    for tag, (kind, why) in reasons.items():
        p('  %4d  [%s] %s: %s' % (by_tag.get(tag, 0), tag, kind, why))
    if by_tag.get('(unlisted)'):
        p('  %4d  (unlisted)' % by_tag['(unlisted)'])
    p('')
    p('By group (cases / OVS OK / gswitch OK):')
    groups = collections.OrderedDict()
    for k in gs:
        g = groups.setdefault(group(k), [0, 0, 0])
        g[0] += 1
        g[1] += ok(ovs, k)
        g[2] += ok(gs, k)
    for g, (n, o, s) in groups.items():
        p('  %-8s %4d %4d %4d' % (g, n, o, s))
    if only_gs:
        p('')
        p('gswitch passes, OVS fails:')
        for k in only_gs:
            p('  %s / %s: %s' % (k[0], k[1], ovs.get(k, ('', ''))[1]))
    p('')
    if problems:
        p('FAIL: %d problem(s):' % len(problems))
        for x in problems:
            p('  ' + x)
    else:
        p('PASS: every case OVS 3.1 passes, gswitch passes or is listed with its reason; no listed case passes.')
    text = '\n'.join(out) + '\n'
    if a.summary:
        with open(a.summary, 'w', encoding='utf-8') as f:
            f.write(text)
    sys.stdout.write(text)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
