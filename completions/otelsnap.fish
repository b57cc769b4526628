complete --keep-order --exclusive --command otelsnap --arguments "(OTELSNAP_COMPLETE=fish otelsnap -- (commandline --current-process --tokenize --cut-at-cursor) (commandline --current-token))"
