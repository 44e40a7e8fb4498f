try:
    from hipdrop.cli import main
except KeyboardInterrupt:  # Ctrl-C while the modules load: nothing to save yet
    raise SystemExit(130) from None

raise SystemExit(main())
