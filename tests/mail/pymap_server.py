"""``pymap`` as the mail tests start it: the real IMAP server, with cheap password hashing.

pymap stores and checks passwords with PBKDF2 at 500 000 rounds, about 0.15 s of CPU per LOGIN,
and the tests log in hundreds of times (every delivery, every check, every processor pass).
One round keeps the login real (the password is still hashed and verified) at no cost.
Run as ``python pymap_server.py <pymap arguments>``.
"""

import sys

from pymap.config import IMAPConfig
from pymap.main import main
from pysasl.hashing import BuiltinHash

IMAPConfig._get_hash_context = classmethod(lambda cls, passlib_cfg: BuiltinHash(rounds=1))

if __name__ == "__main__":
    sys.exit(main())
