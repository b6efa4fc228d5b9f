"""What can go wrong receiving an upload, each with what to do next."""

from __future__ import annotations

from rostersync.errors import AppError, ConflictError

ZIP_MEDIA_TYPES = ("application/zip", "application/x-zip-compressed")


class UploadTooLargeError(AppError):
    status_code = 413

    def __init__(self, max_bytes: int) -> None:
        super().__init__(
            f"The upload is larger than the {max_bytes:,} bytes allowed (UPLOAD_MAX_BYTES). "
            "Zip the files (they compress about tenfold), or ask the service's operator for "
            "a higher limit; a bulk upload cannot be split."
        )


class UnsupportedUploadError(AppError):
    status_code = 415

    def __init__(self, media_type: str) -> None:
        super().__init__(
            f"Uploads are multipart/form-data (one part per CSV file, or one zip) or a zip "
            f"body ({', '.join(ZIP_MEDIA_TYPES)}); this request is "
            f"{media_type or 'without a Content-Type'}."
        )


class NoFilesUploadedError(AppError):
    status_code = 422

    def __init__(self) -> None:
        super().__init__(
            "The upload holds no file: send orgs.csv, users.csv, classes.csv and "
            "enrollments.csv as file parts (e.g. curl -F users.csv=@users.csv …), or one zip."
        )


class MixedUploadError(AppError):
    status_code = 422

    def __init__(self, zip_name: str) -> None:
        super().__init__(
            f"The upload has {zip_name} and other files: send one zip holding every CSV "
            "file, or the CSV files as parts, not both."
        )


class UploadInterruptedError(AppError):
    status_code = 400

    def __init__(self) -> None:
        super().__init__("The upload was interrupted before it was complete; send it again.")


class NotAnUploadDistrictError(ConflictError):
    def __init__(self, code: str) -> None:
        super().__init__(
            f"District {code} is rostered from Clever, not from OneRoster CSV uploads; if "
            "the district stopped using Clever, an operator can switch it with `rostersync "
            f"district update {code} --source oneroster_csv` (or PATCH /districts/{code} "
            '{"source": "oneroster_csv"}).'
        )


class UploadGoneError(AppError):
    status_code = 410

    def __init__(self) -> None:
        super().__init__(
            "The files of this upload are no longer stored (the run ended or was held "
            "before); upload them again."
        )
