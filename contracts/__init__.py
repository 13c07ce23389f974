"""The public contract of kerjasama: message models, the CloudEvents envelope and the topology.

Pure data and pydantic models; nothing here performs I/O.
"""
