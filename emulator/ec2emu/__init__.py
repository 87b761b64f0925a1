"""ec2emu: stock moto's server plus an AMI fidelity layer, fault injection and a call log.

Run with ``PYTHONPATH=emulator python -m ec2emu --port 0 --port-file FILE``; see README.md.
"""

__version__ = "0.1.0"
