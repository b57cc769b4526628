complete --keep-order --exclusive --command otelsnap --arguments "(COMPLETE=fish otelsnap -- (commandline --current-process --tokenize --cut-at-cursor) (commandline --current-token))"
