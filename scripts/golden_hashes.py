"""Check or regenerate the golden output hashes (tests/golden_hashes.json).

    .venv/bin/python scripts/golden_hashes.py            # compare every scenario, print changes
    .venv/bin/python scripts/golden_hashes.py --update   # rewrite the hash file

Regenerate only for a deliberate model change, in its own commit whose message says why the
outputs changed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.golden import golden_hashes, load_hashes, shipped_scenarios, write_hashes  # noqa: E402


def main() -> int:
    """Compare (default) or rewrite (--update) the hashes; exit 1 if any differ when comparing."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="rewrite tests/golden_hashes.json")
    parser.add_argument("scenarios", nargs="*", help="only these scenarios (default: all)")
    args = parser.parse_args()
    names = args.scenarios or shipped_scenarios()
    try:
        old = load_hashes()
    except FileNotFoundError:
        old = {}
    new = dict(old) if args.update else {}
    changed = 0
    for name in names:
        got = golden_hashes(name)
        diff = [k for k, v in got.items() if old.get(name, {}).get(k) != v]
        changed += bool(diff)
        status = "new" if name not in old else ("changed " + ", ".join(diff) if diff else "same")
        print(f"{name:>24}: {status}")
        new[name] = got
    if args.update:
        known = set(shipped_scenarios())
        write_hashes({k: v for k, v in new.items() if k in known})
        print("wrote tests/golden_hashes.json")
        return 0
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
