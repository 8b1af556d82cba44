"""Offline, cited question answering over the MOC / WSM / AID documents."""
