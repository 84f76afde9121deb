"""``edgenn deploy``: bundles and the edgenn wheel to a fleet of devices over SSH, benchmarked and merged.

TensorFlow-free like the rest of ``edge_runtime``: a user deploys from any machine with the edge extra.
- :mod:`.ssh`: the system OpenSSH client, batch mode, host keys checked, every remote argument quoted.
- :mod:`.agent`: the standard-library script that runs on the device (probe, hashes, receive, guard).
- :mod:`.wheel`: the edgenn wheel, found in a wheelhouse or built reproducibly from this install.
- :mod:`.payload`: what is copied, with sha256s; :mod:`.device_job`: one device's steps;
  :mod:`.fleet`: many devices in parallel, progress, Ctrl-C, the merged report.
"""
