#!/usr/bin/python3
"""Check that sim/'s includes run one way, cli -> drivers -> io -> engine -> config -> models ->
core (a layer includes only itself and the layers below it), and that every project include is a
path from the repository root ("sim/core/util.h", "models/perf.h"; tests may also include their
own "check.h").  Prints each offending line; exit status 1 when there is one.

    tools/layers.py [REPO_ROOT]
"""
import pathlib
import re
import sys

ORDER = ['sim/core', 'models', 'sim/config', 'sim/engine', 'sim/io', 'sim/drivers', 'sim/cli']
INCLUDE = re.compile(r'\s*#\s*include\s+"([^"]+)"')


def layer(path):
    for i, name in enumerate(ORDER):
        if path.startswith(name + '/'):
            return i
    return None


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else '.')
    bad = 0
    files = sorted(list(root.glob('sim/**/*.[ch]')) + list(root.glob('models/**/*.[ch]')) +
                   list(root.glob('tests/**/*.[ch]')))
    for p in files:
        rel = p.relative_to(root).as_posix()
        me = layer(rel)
        if me is None and not rel.startswith('tests/'):
            print(f'{rel}: not in a layer ({", ".join(ORDER)})')
            bad += 1
            continue
        for n, line in enumerate(p.read_text(encoding='utf-8').splitlines(), 1):
            m = INCLUDE.match(line)
            if not m:
                continue
            inc = m.group(1)
            them = layer(inc)
            if them is None:
                if not (rel.startswith('tests/') and inc == 'check.h'):
                    print(f'{rel}:{n}: "{inc}" is not a path from the repository root')
                    bad += 1
            elif not (root / inc).is_file():
                print(f'{rel}:{n}: "{inc}" does not exist')
                bad += 1
            elif me is not None and them > me:
                print(f'{rel}:{n}: {ORDER[me]} includes {inc} (a layer above it)')
                bad += 1
    if bad:
        print(f'{bad} include(s) break the layering (sim/*/README.md)')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
