#!/usr/bin/env python3
"""Turn the raw runs of seed-bench.sh into tables, a markdown file and a PNG chart.

usage: report.py RESULTS.jsonl META.txt OUTDIR STEM
Writes OUTDIR/STEM.md, OUTDIR/STEM.png, OUTDIR/STEM.dat; prints the tables.
Figures are medians over the rounds of runs that succeeded (exit 0 and every
file in the bucket).  Ratios are dm-seed / tool: below 1 means dm-seed is
faster (or lighter).
"""
import json
import os
import statistics
import subprocess
import sys

WORKLOAD_ORDER = ['small2k', 'small20k', 'big', 'data', 'rerun', 'rerun200k', 'tree']
TOOL_ORDER = ['dm', 'dm-ref', 'dm-j', 'rclone', 'rclone-tuned', 's3cmd', 'aws', 'aws-tuned']


def tool_key(t):
    for i, p in enumerate(TOOL_ORDER):
        if t == p:
            return (i, 0, t)
        if p == 'dm-j' and t.startswith('dm-j') and t[4:].isdigit():
            return (i, int(t[4:]), t)
    return (99, 0, t)


def size_str(n):
    n = int(n)
    for unit, s in (('GiB', 1 << 30), ('MiB', 1 << 20), ('KiB', 1 << 10)):
        if n >= s:
            v = n / s
            return ('%d %s' % (v, unit)) if v == int(v) else ('%.1f %s' % (v, unit))
    return '%d B' % n


def svg_chart(path, workloads, cols, med, ref, label, chart_label, ratio, rounds):
    """dm-seed / tool for wall, client CPU and server CPU: one panel each, a group of bars per
    workload (the reruns beside the uploads), log scale 0.01 to 4, the line at 1."""
    import math
    colours = ['#4472c4', '#ed7d31', '#70ad47', '#ffc000', '#7030a0', '#c00000']
    pw, ph, top, left, bottom = 480, 380, 60, 50, 90
    width = left + 3 * (pw + 20)
    lo, hi = math.log10(0.01), math.log10(4)

    def y(v):
        return top + ph - (math.log10(min(max(v, 0.01), 4)) - lo) / (hi - lo) * ph

    e = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="11">'
         % (width, top + ph + bottom + 20),
         '<rect width="100%" height="100%" fill="white"/>',
         '<text x="%d" y="22" font-size="14" text-anchor="middle">dm-seed (default settings) / tool, medians of %s; '
         'below 1: dm-seed took less</text>' % (width // 2, rounds)]
    for p, (k, name) in enumerate((('wall', 'wall seconds'), ('cpu', 'client CPU seconds'), ('server', 'server CPU seconds'))):
        x0 = left + p * (pw + 20)
        e.append('<text x="%d" y="%d" text-anchor="middle" font-size="12">%s</text>' % (x0 + pw // 2, top - 12, name))
        e.append('<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="black"/>' % (x0, top, pw, ph))
        for v in (0.01, 0.03, 0.1, 0.3, 1, 3):
            e.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/>' % (x0, x0 + pw, y(v), y(v)))
            e.append('<text x="%d" y="%.1f" text-anchor="end">%g</text>' % (x0 - 3, y(v) + 4, v))
        gw = pw / max(len(workloads), 1)
        bw = gw * 0.8 / max(len(cols), 1)
        for i, w in enumerate(workloads):
            gx = x0 + i * gw + gw * 0.1
            for j, t in enumerate(cols):
                m = med.get((w, t))
                v = ratio(med.get((w, ref)), m, k) if m and m['n'] else None
                if v:
                    e.append('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s %s: %.2f</title></rect>'
                             % (gx + j * bw, y(v), bw, top + ph - y(v), colours[j % len(colours)], chart_label(w), label(t), v))
            e.append('<text transform="translate(%.1f,%d) rotate(35)" font-size="10">%s</text>'
                     % (gx + gw * 0.3, top + ph + 12, chart_label(w)))
        e.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="black" stroke-width="2" stroke-dasharray="6,4"/>'
                 % (x0, x0 + pw, y(1), y(1)))
    for j, t in enumerate(cols):
        e.append('<rect x="%d" y="%d" width="12" height="12" fill="%s"/><text x="%d" y="%d">%s</text>'
                 % (left + j * 220, top + ph + bottom, colours[j % len(colours)], left + j * 220 + 16, top + ph + bottom + 10, label(t)))
    e.append('</svg>')
    with open(path, 'w') as f:
        f.write('\n'.join(e) + '\n')


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    res_path, meta_path, outdir, stem = sys.argv[1:]
    meta = {}
    with open(meta_path) as f:
        for line in f:
            k, _, v = line.rstrip('\n').partition('=')
            meta[k] = v
    runs, checks = [], {}
    with open(res_path) as f:
        for line in f:
            r = json.loads(line)
            if r['kind'] == 'run':
                runs.append(r)
            else:
                checks[(r['workload'], r['tool'], r['round'])] = r
    for r in runs:
        c = checks.get((r['workload'], r['tool'], r['round']))
        r['ok'] = bool(c and c['ok'] and r['rc'] == 0)
        r['cpu'] = r['user'] + r['sys']
        r['files'], r['bytes'] = int(r['files']), int(r['bytes'])

    dj = meta.get('dm_default_jobs', '?')
    # the 512 MiB workload may run more rounds than the others (BIG_ROUNDS)
    n = meta.get('rounds', '?')
    rounds_txt = '%s round%s' % (n, '' if n == '1' else 's')
    if any(r['workload'] == 'big' for r in runs) and meta.get('big_rounds', n) != n:
        rounds_txt += ' (%s of the large file)' % meta['big_rounds']

    def label(t):
        if t == 'dm':
            return 'dm-seed (default, -j %s)' % dj
        if t.startswith('dm-j'):
            return 'dm-seed -j %s' % t[4:]
        if t == 'dm-ref':
            return 'dm-seed before (DM_REF)'
        if t == 'rclone':
            return 'rclone copy (defaults)'
        if t == 'rclone-tuned':
            return 'rclone copy (tuned)'
        if t == 's3cmd':
            return 's3cmd put --recursive'
        if t == 'aws':
            return 'aws s3 cp --recursive'
        if t == 'aws-tuned':
            return 'aws s3 cp (32 requests)'
        return t

    # medians per workload and tool (the RSS pair is kept apart)
    med = {}
    groups = {}
    for r in runs:
        # the RSS pair is kept apart; dm-seed's rerun of the RSS tree is its rerun200k figure
        if (r['round'] == 'rss' and r['workload'] != 'rerun200k') or r['workload'] == 'tree':
            continue
        groups.setdefault((r['workload'], r['tool']), []).append(r)
    for key, rs in groups.items():
        good = [r for r in rs if r['ok']]
        m = {'n': len(good), 'runs': len(rs), 'files': rs[0]['files'], 'bytes': rs[0]['bytes']}
        if good:
            for k in ('wall', 'cpu', 'server', 'rss_kb', 'rchar', 'load'):
                m[k] = statistics.median(r[k] for r in good)
            m['walls'] = [r['wall'] for r in good]
        med[key] = m

    workloads = sorted({w for w, _ in med}, key=lambda w: WORKLOAD_ORDER.index(w) if w in WORKLOAD_ORDER else 99)
    tools = sorted({t for _, t in med}, key=tool_key)
    dm_best = next((t for t in tools if t.startswith('dm-j')), None)
    peers = [t for t in tools if not t.startswith('dm')]
    # the dm-seed the ratios refer to: its defaults
    ref = 'dm' if 'dm' in tools else ('dm-j' + dj if 'dm-j' + dj in tools else None)
    if dm_best == ref:
        dm_best = next((t for t in tools if t.startswith('dm-j') and t != ref), None)

    def wl_label(w):
        m = next(v for (ww, _), v in med.items() if ww == w)
        files, b = int(m['files']), int(m['bytes'])
        if w == 'data':
            return 'data/ (%s files, %s)' % (format(files, ','), size_str(b))
        if w.startswith('rerun'):
            return 'Rerun, nothing to do: %s × %s already uploaded by the same tool' % (format(files, ','), size_str(b // files))
        if files == 1:
            return '1 × %s' % size_str(b)
        return '%s × %s%s' % (format(files, ','), size_str(b // files), ', nested folders' if w == 'small2k' else '')

    def short(w):
        m = next(v for (ww, _), v in med.items() if ww == w)
        files, b = int(m['files']), int(m['bytes'])
        if w == 'data':
            return 'data/'
        if w.startswith('rerun'):
            return 'rerun %s' % format(files, ',')
        if files == 1:
            return size_str(b).replace(' ', '')
        return '%s x 4KiB' % format(files, ',')

    def chart_label(w):
        m = next(v for (ww, _), v in med.items() if ww == w)
        files = int(m['files'])
        if w.startswith('rerun'):
            return 'rerun %s' % ('%dk' % (files // 1000) if files % 1000 == 0 else files)
        if w == 'data' or files == 1:
            return short(w)
        return '%s files' % ('%dk' % (files // 1000) if files % 1000 == 0 else files)

    def ratio(a, b, k):
        if a is None or b is None or k not in a or k not in b or not b[k]:
            return None
        return a[k] / b[k]

    def fmt(x, nd=2):
        return '–' if x is None else ('%.*f' % (nd, x))

    md = []
    out = []
    quick = meta.get('quick') == '1'
    md.append('# dm-seed benchmark%s' % (' (QUICK: small workloads, not the real figures)' if quick else ''))
    md.append('')
    md.append('Generated by `bench/seed-bench.sh` on %s (%s s, %s).' % (
        meta.get('started', '?'), meta.get('duration_s', '?'), rounds_txt))
    md.append('')
    md.append('## Machine and versions')
    md.append('')
    md.append('| | |')
    md.append('| --- | --- |')
    md.append('| machine | %s CPU cores (`nproc`), %s RAM, %s |' % (meta.get('nproc'), meta.get('mem'), meta.get('cpu')))
    md.append('| system | %s, %s |' % (meta.get('os'), meta.get('kernel')))
    for k in ('dm-seed', 'dm-ref', 'rclone', 's3cmd', 'aws', 'radosgw', 'gnuplot', 'python3', 'curl'):
        if k == 'dm-ref' and 'v_dm-ref' not in meta:
            continue
        v = meta.get('v_' + k, '?')
        md.append('| %s | %s |' % (k, '`%s`' % v if v else 'not installed'))
    md.append('| S3 server | `tests/servers/s3-up.sh`: ceph-mon, one memstore OSD (%s of object data at most), radosgw (beast), all on 127.0.0.1 |' % size_str(int(meta.get('memstore', '0') or 0)))
    md.append('| load average (1, 5, 15 min) | at the start %s; at the end %s |' % (meta.get('load_start', '?'), meta.get('load_end', '?')))
    if meta.get('uptime_start'):
        md.append('| `uptime` | before: `%s`; after: `%s` |' % (meta.get('uptime_start', '').strip(), meta.get('uptime_end', '').strip()))
    if meta.get('missing_peers'):
        md.append('| peers left out | %s: not installed on this machine (`BENCH_INSTALL=0`: nothing was installed) |' % meta['missing_peers'])
    md.append('')
    md.append('## How it was measured')
    md.append('')
    md.append('Each round boots a fresh S3 server per workload and runs every tool once on it, each into its own '
              'bucket (created beforehand, not timed) under a prefix named after the round, so nothing is skipped; '
              'the order of the tools rotates from round to round. Before each run the harness waits until the '
              'server is idle. After each run the bucket is checked (object count and bytes, from `radosgw-admin '
              'bucket stats`). Figures are **medians over the rounds**.')
    md.append('')
    md.append('- **wall**: seconds from start to exit of the client.')
    md.append('- **client CPU**: user + system seconds of the client and the children it waited for (`wait4` rusage, '
              'what `/usr/bin/time` prints as %U + %S).')
    md.append('- **server CPU**: user + system seconds that `ceph-mon`, `ceph-osd` and `radosgw` spent during the '
              'run (`/proc/PID/stat` utime + stime, before and after).')
    md.append('- **peak RSS**: the client\'s maximum resident set (`ru_maxrss`, `/usr/bin/time`\'s %M).')
    md.append('- **reads**: bytes the client read (`rchar` of `/proc/PID/io`, taken before the process is reaped) '
              'divided by the bytes of the workload; 1.00 means every byte of the file was read once.')
    md.append('- **ratio**: dm-seed / tool; below 1 means dm-seed took less.')
    md.append('')
    md.append('Command lines (SRC is the workload folder):')
    md.append('')
    md.append('```')
    md.append('dm-seed -q --no-progress [-j N] SRC dmtest/BUCKET/rN          # MC_HOST_dmtest=http://KEY:SECRET@127.0.0.1:PORT')
    md.append('env -u AWS_CA_BUNDLE rclone --config CONF copy SRC bench:BUCKET/rN      # type s3, provider Ceph')
    md.append('env -u AWS_CA_BUNDLE rclone --config CONF %s copy SRC bench:BUCKET/rN' % meta.get('rclone_tuned', ''))
    md.append('s3cmd -c CFG --no-progress -q put --recursive SRC/ s3://BUCKET/rN/    # host_base/host_bucket, no https, SigV4')
    md.append('aws --endpoint-url http://127.0.0.1:PORT s3 cp --recursive --quiet SRC s3://BUCKET/rN/')
    md.append('# rerun workloads: the same for dm-seed and rclone (both skip what is there); s3cmd sync SRC/ s3://BUCKET/rN/;')
    md.append('# aws s3 sync SRC s3://BUCKET/rN/ -- each run twice, the first untimed')
    md.append('```')
    md.append('')
    md.append('rclone runs with `AWS_CA_BUNDLE` unset: this machine sets it, and Debian\'s rclone then fails even on '
              'plain http. "tuned" rclone is an attempt at its best settings on this server, shown beside the defaults.')
    md.append('')
    md.append('**Noise**: the machine has %s cores, shared by the client, the S3 server and whatever else runs '
              'there at the time (load average at the start %s, at the end %s; the per-run load is in '
              'the raw table, the spread between rounds in the section "Noise" below). The ratios are more '
              'trustworthy than the absolute seconds, and single runs can be off by tens of percent.' % (
                  meta.get('nproc'), meta.get('load_start', '?'), meta.get('load_end')))
    md.append('')
    md.append('![dm-seed / tool, medians](%s.CHART_EXT)' % stem)
    md.append('')

    def wlabel(t, w):
        # the rerun workloads run each tool in its sync mode
        if w.startswith('rerun'):
            return label(t).replace('s3 cp --recursive', 's3 sync').replace('put --recursive', 'sync')
        return label(t)

    for w in workloads:
        title = wl_label(w)
        md.append('## %s' % title)
        md.append('')
        hdr = ['tool', 'wall s', 'client CPU s', 'server CPU s', 'peak RSS MiB']
        if w == 'big':
            hdr.append('reads')
        hdr += ['dm/tool wall', 'dm/tool client CPU', 'dm/tool server CPU']
        if dm_best:
            hdr += ['dm -j%s/tool wall' % dm_best[4:]]
        hdr.append('ok runs')
        md.append('| ' + ' | '.join(hdr) + ' |')
        md.append('|' + '---|' * len(hdr))
        out.append('')
        out.append('== %s ==' % title)
        out.append('%-28s %8s %8s %8s %8s %8s %8s %8s' % ('tool', 'wall s', 'cpu s', 'srv s', 'rss MiB',
                                                          'dm/wall', 'dm/cpu', 'dm/srv'))
        dmm = med.get((w, ref))
        bestm = med.get((w, dm_best)) if dm_best else None
        for t in tools:
            m = med.get((w, t))
            if m is None:
                continue
            if m['n'] == 0:
                row = [wlabel(t, w)] + ['FAILED'] * (len(hdr) - 2) + ['0/%d' % m['runs']]
                md.append('| ' + ' | '.join(row) + ' |')
                out.append('%-28s FAILED in all %d runs' % (wlabel(t, w), m['runs']))
                continue
            isdm = t.startswith('dm')
            isref = t == ref
            rw = None if isref else ratio(dmm, m, 'wall')
            rc = None if isref else ratio(dmm, m, 'cpu')
            rs = None if isref else ratio(dmm, m, 'server')
            row = [wlabel(t, w), fmt(m['wall']), fmt(m['cpu']), fmt(m['server']), fmt(m['rss_kb'] / 1024, 1)]
            if w == 'big':
                row.append(fmt(m['rchar'] / m['bytes']) if m['rchar'] >= 0 else '?')
            row += [fmt(rw), fmt(rc), fmt(rs)]
            if dm_best:
                row.append(fmt(None if isdm else ratio(bestm, m, 'wall')))
            row.append('%d/%d' % (m['n'], m['runs']))
            md.append('| ' + ' | '.join(row) + ' |')
            out.append('%-28s %8.2f %8.2f %8.2f %8.1f %8s %8s %8s' % (wlabel(t, w), m['wall'], m['cpu'], m['server'],
                                                                   m['rss_kb'] / 1024, fmt(rw), fmt(rc), fmt(rs)))
        md.append('')

    # peak RSS against tree size
    rss_runs = {r['workload']: r for r in runs if r['round'] == 'rss' or r['workload'] == 'tree'}
    tree, small = rss_runs.get('tree'), rss_runs.get('small2k')
    if tree:
        md.append('## Peak RSS against the size of the tree')
        md.append('')
        md.append('dm-seed (default settings) uploading 4 KiB files, both runs on the same fresh server:')
        md.append('')
        md.append('| files | peak RSS MiB | wall s | client CPU s | server CPU s | ok |')
        md.append('|---|---|---|---|---|---|')
        out.append('')
        out.append('== peak RSS of dm-seed ==')
        for r in (small, tree):
            if r:
                md.append('| %s | %.1f | %.2f | %.2f | %.2f | %s |' % (format(int(r['files']), ','), r['rss_kb'] / 1024,
                                                                     r['wall'], r['cpu'], r['server'],
                                                                     'yes' if r['ok'] else 'NO'))
                out.append('%9s files: %6.1f MiB  (%.1f s)%s' % (format(int(r['files']), ','), r['rss_kb'] / 1024, r['wall'],
                                                             '' if r['ok'] else '  FAILED'))
        md.append('')

    # targets of the issue
    targets = []

    def target(name, value, limit, note=''):
        if value is None:
            targets.append((name, '–', '≤ %.2f' % limit, 'not measured', note))
            return
        ok = value <= limit
        verdict = 'holds' if ok else 'MISSED by %.0f %%' % ((value / limit - 1) * 100)
        targets.append((name, '%.2f' % value, '≤ %.2f' % limit, verdict, note))

    # the same ratio within each round (the two runs a few seconds apart on one server)
    by_round = {}
    for r in runs:
        if r['ok']:
            by_round.setdefault((r['workload'], r['round']), {})[r['tool']] = r

    def per_round(w, t, k):
        vals = []
        for (ww, rd), tt in sorted(by_round.items(), key=lambda x: str(x[0][1])):
            if ww == w and ref in tt and t in tt and tt[t][k]:
                vals.append('%.2f' % (tt[ref][k] / tt[t][k]))
        return 'per round: ' + ' '.join(vals) if len(vals) > 1 else ''

    for w in ('small2k', 'small20k'):
        if (w, ref) not in med or not med[(w, ref)]['n']:
            continue
        dmm = med[(w, ref)]
        tag = short(w)
        target('%s: wall dm-seed / rclone' % tag, ratio(dmm, med.get((w, 'rclone')), 'wall'), 0.45,
               per_round(w, 'rclone', 'wall'))
        target('%s: wall dm-seed / aws' % tag, ratio(dmm, med.get((w, 'aws')), 'wall'), 0.25,
               per_round(w, 'aws', 'wall'))
        target('%s: client CPU dm-seed / rclone' % tag, ratio(dmm, med.get((w, 'rclone')), 'cpu'), 0.2,
               per_round(w, 'rclone', 'cpu'))
    if ('big', ref) in med and med[('big', ref)]['n']:
        dmm = med[('big', ref)]
        tag = short('big')
        target('%s: wall dm-seed / aws' % tag, ratio(dmm, med.get(('big', 'aws')), 'wall'), 0.8,
               per_round('big', 'aws', 'wall'))
        fastest = min(((m['wall'], t) for (w, t), m in med.items() if w == 'big' and not t.startswith('dm') and m['n']),
                      default=None)
        if fastest and fastest[1] != 'aws':
            target('%s: wall dm-seed / fastest peer (%s)' % (tag, label(fastest[1])), dmm['wall'] / fastest[0], 0.8,
                   per_round('big', fastest[1], 'wall'))
        if dmm.get('rchar', -1) >= 0:
            target('%s: reads of the file by dm-seed' % tag, dmm['rchar'] / dmm['bytes'], 1.05,
                   'bytes read / file size; 1 read = 1.00 (plus a little for responses)')
        target('%s: peak RSS of dm-seed, MiB' % tag, dmm['rss_kb'] / 1024, 64)
    for w in ('small2k', 'small20k'):
        dmm = med.get((w, ref))
        if not dmm or not dmm['n']:
            continue
        others = [m['server'] for (ww, t), m in med.items() if ww == w and not t.startswith('dm') and m['n']]
        if others:
            target('%s: server CPU dm-seed / the lightest peer' % short(w), dmm['server'] / min(others), 1.0,
                   'per object: dm-seed %.2f ms, lightest peer %.2f ms' % (
                       dmm['server'] / dmm['files'] * 1000, min(others) / dmm['files'] * 1000))
    for w in ('rerun', 'rerun200k'):
        dmm = med.get((w, ref))
        if dmm and dmm['n']:
            target('%s: wall dm-seed / rclone' % short(w), ratio(dmm, med.get((w, 'rclone')), 'wall'), 0.3,
                   per_round(w, 'rclone', 'wall'))
    if tree:
        target('peak RSS at %s files, MiB' % format(int(tree['files']), ','), tree['rss_kb'] / 1024, 64)
        if small:
            target('peak RSS at %s files / at %s files' % (format(int(tree['files']), ','), format(int(small['files']), ',')),
                   tree['rss_kb'] / small['rss_kb'], 1.10)
    md.append('## Targets (dm-seed with its defaults against each peer with its defaults)')
    md.append('')
    md.append('| target | measured | limit | verdict | |')
    md.append('|---|---|---|---|---|')
    out.append('')
    out.append('== targets ==')
    for name, v, lim, verdict, note in targets:
        md.append('| %s | %s | %s | %s | %s |' % (name, v, lim, verdict, note))
        out.append('%-55s %6s %7s  %s' % (name, v, lim, verdict))
    md.append('')

    # server CPU per object, by the request kind that makes up each workload
    md.append('## Server CPU per object, and the limit')
    md.append('')
    md.append('Each workload is one kind of request for dm-seed: small files are one PUT each (plus a listing page per '
              '1,000 keys); the 512 MiB file is multipart (an initiate, 64 UploadParts of 8 MiB, a complete: the '
              'figure is per MiB); a rerun is listing pages only (1 per 1,000 objects) and no request per object. '
              'The peers send their own requests for the same job (aws s3 sync and rclone list too; s3cmd sync as '
              'well). Server CPU = ceph-mon + ceph-osd + radosgw, milliseconds per object (per MiB for the large file).')
    md.append('')
    md.append('**The limit** of a workload is the least wall time the machine allows: the lightest server bill any '
              'tool got for the job (server CPU per object × objects) spread over the %s cores, plus dm-seed\'s '
              'own client CPU (which runs on the same cores). **Distance** = wall / limit: 1.00 is at the limit; '
              'a client that sends more or heavier requests than the lightest has a higher limit of its own, '
              'which shows in its server column.' % meta.get('nproc'))
    md.append('')
    ncores = float(meta.get('nproc') or 1)
    hdr = ['workload'] + ['%s ms per obj (MiB)' % label(t) for t in tools] + ['limit s'] + \
          ['%s wall / limit' % label(t) for t in tools]
    md.append('| ' + ' | '.join(hdr) + ' |')
    md.append('|' + '---|' * len(hdr))
    for w in workloads:
        dmm = med.get((w, ref))
        if not dmm or not dmm['n']:
            continue
        per = 'MiB' if w == 'big' else 'obj'
        units = dmm['bytes'] / (1 << 20) if w == 'big' else dmm['files']
        row = [short(w) + (' (per MiB)' if w == 'big' else '')]
        bills = []
        for t in tools:
            m = med.get((w, t))
            if m and m['n']:
                row.append('%.3f' % (m['server'] / units * 1000))
                bills.append(m['server'])
            else:
                row.append('–')
        limit = min(bills) / ncores + dmm['cpu'] if bills else None
        row.append(fmt(limit))
        for t in tools:
            m = med.get((w, t))
            row.append(fmt(m['wall'] / limit) if m and m['n'] and limit else '–')
        md.append('| ' + ' | '.join(row) + ' |')
        out.append('%-14s limit %s s; dm-seed at %s of it (%s)' % (short(w), fmt(limit), fmt(dmm['wall'] / limit) if limit else '–', per))
    md.append('')

    md.append('## Noise')
    md.append('')
    md.append('Load average (1, 5, 15 min) at the start: %s; at the end: %s; per run in the last table. The spread '
              'is the range of a tool\'s wall time over the rounds, as a share of its median ((max - min) / median); '
              'with one round there is none.' % (meta.get('load_start', '?'), meta.get('load_end', '?')))
    md.append('')
    md.append('| workload | tool | rounds | wall min s | median s | max s | spread |')
    md.append('|---|---|---|---|---|---|---|')
    for w in workloads:
        for t in tools:
            m = med.get((w, t))
            if m and m['n']:
                ws = m['walls']
                md.append('| %s | %s | %d | %.2f | %.2f | %.2f | %s |' % (
                    short(w), wlabel(t, w), len(ws), min(ws), m['wall'], max(ws),
                    '%.0f %%' % ((max(ws) - min(ws)) / m['wall'] * 100) if len(ws) > 1 and m['wall'] else '–'))
    md.append('')

    md.append('### Where the time goes')
    md.append('')
    md.append('CPU seconds that the client and the server together spent per wall second of dm-seed\'s run '
              '(%s cores in the machine), and the machine\'s 1-minute load average during the runs (the '
              'tool\'s and the server\'s threads, and any other work on the machine). When the first figure is near the number of cores, or the load is far '
              'above it, the wall time is set by CPU that the client cannot save.' % meta.get('nproc'))
    md.append('')
    md.append('| workload | dm-seed client CPU s | server CPU s | (client + server) / wall | load average (median) |')
    md.append('|---|---|---|---|---|')
    for w in workloads:
        m = med.get((w, ref))
        if m and m['n']:
            loads = [r['load'] for r in runs if r['workload'] == w and r['round'] != 'rss' and 'load' in r]
            md.append('| %s | %.2f | %.2f | %.2f | %.1f |' % (short(w), m['cpu'], m['server'],
                                                          (m['cpu'] + m['server']) / m['wall'],
                                                          statistics.median(loads) if loads else float('nan')))
    md.append('')

    if dm_best:
        md.append('### Same, with dm-seed -j %s and the tuned peers' % dm_best[4:])
        md.append('')
        md.append('| workload | tool | dm-seed -j %s / tool wall | client CPU | server CPU |' % dm_best[4:])
        md.append('|---|---|---|---|---|')
        for w in workloads:
            bm = med.get((w, dm_best))
            for t in peers:
                if (w, t) in med and med[(w, t)]['n']:
                    m = med[(w, t)]
                    md.append('| %s | %s | %s | %s | %s |' % (short(w), label(t), fmt(ratio(bm, m, 'wall')),
                                                              fmt(ratio(bm, m, 'cpu')), fmt(ratio(bm, m, 'server'))))
        md.append('')

    failed = [r for r in runs if not r['ok']]
    md.append('## Every run')
    md.append('')
    if failed:
        md.append('**%d run(s) failed** (non-zero exit or files missing from the bucket); they are left out of the '
                  'medians.' % len(failed))
        md.append('')
    md.append('| workload | tool | round | exit | bucket ok | wall s | client CPU s | server CPU s | peak RSS MiB | load |')
    md.append('|---|---|---|---|---|---|---|---|---|---|')
    for r in runs:
        c = checks.get((r['workload'], r['tool'], r['round']))
        md.append('| %s | %s | %s | %d | %s | %.2f | %.2f | %.2f | %.1f | %.1f |' % (
            r['workload'], r['tool'], r['round'], r['rc'], 'yes' if c and c['ok'] else 'NO (%s, want %s)' % (
                c['got'] if c else '?', c['want'] if c else '?'),
            r['wall'], r['cpu'], r['server'], r['rss_kb'] / 1024, r.get('load', 0)))
    md.append('')

    # chart: dm-seed / tool for wall, client CPU and server CPU, per workload and peer
    dat = os.path.join(outdir, stem + '.dat')
    cols = [t for t in tools if t == 'dm-ref'] + peers
    with open(dat, 'w') as f:
        f.write('# workload ' + ' '.join('"%s"' % label(t) for t in cols) + '\n')
        for k in ('wall', 'cpu', 'server'):
            for w in workloads:
                vals = []
                for t in cols:
                    v = ratio(med.get((w, ref)), med.get((w, t)), k) if (w, t) in med and med[(w, t)]['n'] else None
                    vals.append('%.4f' % v if v else 'NaN')
                f.write('"%s" %s\n' % (chart_label(w), ' '.join(vals)))
            f.write('\n\n')
    png = os.path.join(outdir, stem + '.png')
    plots = []
    for i, t in enumerate(cols):
        col = i + 2
        plots.append("'%s' index IDX using %d%s title '%s'" % (dat, col, ':xtic(1)' if i == 0 else '', label(t)))
    gp = ['set terminal pngcairo size 1500,560 font "sans,10"',
          "set output '%s'" % png,
          'set multiplot layout 1,3 title "dm-seed (default settings) / tool, medians of %s%s; below 1: dm-seed took less" font ",12"' % (
              rounds_txt, ' - QUICK workloads' if quick else ''),
          'set style data histograms', 'set style histogram clustered gap 1',
          'set style fill solid 0.85 border -1', 'set boxwidth 0.9',
          'set logscale y', 'set yrange [0.01:4]', 'set grid ytics',
          'set key top left font ",9"', 'set xtics font ",9"']
    for idx, name in enumerate(('wall seconds', 'client CPU seconds', 'server CPU seconds')):
        gp.append('set title "%s"' % name)
        gp.append('set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead lw 2 dt 2 lc rgb "black" front')
        gp.append('plot ' + ', '.join(p.replace('IDX', str(idx)) for p in plots))
        if idx == 0:
            gp.append('unset key')
    gp.append('unset multiplot')
    ext = 'png'
    try:
        r = subprocess.run(['gnuplot'], input='\n'.join(gp) + '\n', text=True, capture_output=True) if cols else None
    except FileNotFoundError:
        # no gnuplot here: the same three panels as an SVG drawn by hand
        ext = 'svg'
        svg_chart(os.path.join(outdir, stem + '.svg'), workloads, cols, med, ref, label, chart_label, ratio,
                  rounds_txt)
        r = None
    if not cols:
        md.append('(no chart: no peer in this run)')
    elif r is not None and r.returncode != 0:
        sys.stderr.write('report.py: gnuplot failed:\n' + r.stderr)
        md.append('(the chart could not be drawn: %s)' % r.stderr.strip().splitlines()[-1:])
    md = [line.replace('.CHART_EXT)', '.%s)' % ext) for line in md]

    with open(os.path.join(outdir, stem + '.md'), 'w') as f:
        f.write('\n'.join(md) + '\n')
    print('\n'.join(out))
    return 0


if __name__ == '__main__':
    sys.exit(main())
