"""The private storage clinical photos live on (settings.STORAGES["private"]).

A lazy proxy, like Django's default_storage: the backend is looked up when first used, and again
after the STORAGES setting changes (tests point it at a temporary folder or a mocked bucket).
"""

from django.core.files.storage import storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty

ALIAS = "private"


class PrivateStorage(LazyObject):
    def _setup(self):
        self._wrapped = storages[ALIAS]


private_storage = PrivateStorage()


@receiver(setting_changed)
def _storages_changed(*, setting, **kwargs):
    if setting == "STORAGES":
        private_storage._wrapped = empty
