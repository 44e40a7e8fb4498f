import sys

try:
    from hipdrop.cli import main
except KeyboardInterrupt:  # Ctrl-C while the modules load: nothing to save yet
    print("hipdrop: interrupted", file=sys.stderr)  # the same one line as later on
    raise SystemExit(130) from None

raise SystemExit(main())
