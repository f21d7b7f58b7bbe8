"""Clinical photos in, metadata out: every upload is decoded and re-encoded as a plain JPEG.

Re-encoding (rather than deleting known tags) is what makes the stripping complete: only the
pixels are carried over, so EXIF (camera, time, GPS position), XMP, IPTC and comments never reach
the storage. The phone's orientation tag is applied to the pixels first, so the photo still
stands the right way up without it.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # a phone's full-size photo is 2-12 MB
MAX_PIXELS = 50_000_000  # refused above this (a decompression bomb, or a panorama)
MAX_SIDE = 2560  # stored at most this wide or tall: enough to compare, small enough to load
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "MPO"}  # MPO: some cameras' JPEG with a second frame
JPEG_QUALITY = 88


class PhotoRejected(Exception):
    pass


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    width: int
    height: int


def clean_image(upload) -> CleanImage:
    """The upload as a metadata-free JPEG, or PhotoRejected with a reason fit to show."""
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_UPLOAD_BYTES:
        raise PhotoRejected(_("This photo is %(mb)s MB; the limit is %(limit)s MB. Take it again at a lower size.")
                            % {"mb": round(size / 1024 / 1024, 1), "limit": MAX_UPLOAD_BYTES // 1024 // 1024})
    if size == 0:
        raise PhotoRejected(_("This file is empty. Choose the photo again."))
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as image:
                if image.format not in ACCEPTED_FORMATS:
                    raise PhotoRejected(_("Only JPEG, PNG or WebP photos can be added."))
                if image.width * image.height > MAX_PIXELS:
                    raise PhotoRejected(_("This image is too large (more than 50 megapixels)."))
                image.load()
                upright = ImageOps.exif_transpose(image)
                pixels = upright.convert("RGB")
    except PhotoRejected:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning, OSError, ValueError) as exc:
        raise PhotoRejected(_("This file is not a photo we can read. Choose a JPEG, PNG or WebP image.")) from exc
    pixels.thumbnail((MAX_SIDE, MAX_SIDE))
    # A fresh image holding only the pixels: nothing of the original's info dict comes along.
    bare = Image.new("RGB", pixels.size)
    bare.paste(pixels)
    out = io.BytesIO()
    bare.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return CleanImage(out.getvalue(), bare.width, bare.height)
