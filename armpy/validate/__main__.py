"""python -m armpy.validate PATH: check an archive, wheel or directory against its
target's rules. Exit 0: passed; 1: violations (each printed with file and rule);
2: bad input (one line)."""
import argparse
import json
import sys

from . import check_path, rules
from ..errors import ArmpyError


def main(argv=None):
    parser = argparse.ArgumentParser(prog="armpy validate", description=__doc__.split("\n")[0])
    parser.add_argument("path", help="archive (.tar.zst, .tar.gz), wheel, or directory")
    parser.add_argument("--target", default="", help="target triple for inputs without "
                        f"PYTHON.json or an Arm wheel tag ({', '.join(rules.targets())})")
    parser.add_argument("--glibc-floor", default="", help="highest GLIBC_x.y allowed "
                        "(default: the artifact's declared floor, else the target's)")
    parser.add_argument("--deployment-target", default="", help="macOS version every "
                        "Mach-O must declare (default: the artifact's, else the target's)")
    parser.add_argument("--build-path", action="append", default=[],
                        help="a build-machine path no file may name (repeatable)")
    parser.add_argument("--json", metavar="FILE", help="also write the report as JSON")
    args = parser.parse_args(argv)
    try:
        if args.target and args.target not in rules.targets():
            raise ArmpyError(f"unknown target '{args.target}' (valid: "
                             f"{', '.join(rules.targets())})")
        report = check_path(args.path, target=args.target, build_paths=args.build_path,
                            glibc_floor=args.glibc_floor,
                            deployment_target=args.deployment_target)
    except ArmpyError as error:
        print(f"armpy validate: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    for violation in report.violations:
        print(violation)
    print(f"armpy validate: {report.summary()}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report.to_json(), f, indent=2, sort_keys=True)
            f.write("\n")
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
