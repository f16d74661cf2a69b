"""QR text -> PNG image, the way an issuer's app would show a code.

Error correction level M by default and alphanumeric mode (the spec's
choice: Base45 text is all QR-alphanumeric characters), with a quiet zone
of four modules.
"""

from __future__ import annotations

from pathlib import Path

import qrcode
import qrcode.constants

_LEVELS = {
    "L": qrcode.constants.ERROR_CORRECT_L,
    "M": qrcode.constants.ERROR_CORRECT_M,
    "Q": qrcode.constants.ERROR_CORRECT_Q,
    "H": qrcode.constants.ERROR_CORRECT_H,
}


def write_png(text: str, path: Path, *, box_size: int = 6, error_correction: str = "M") -> Path:
    """Write ``text`` as a QR PNG at ``path``."""
    qr = qrcode.QRCode(error_correction=_LEVELS[error_correction], box_size=box_size, border=4)
    qr.add_data(text, optimize=0)
    qr.make(fit=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    qr.make_image(fill_color="black", back_color="white").save(str(path))
    return path
