"""Comparing result files: the same numbers, bit for bit, whatever ran them."""
import h5py
import numpy as np

# Attributes that record when and how a file was made, not what it holds.
PROVENANCE = {"created_utc", "command_line", "shard_index", "shard_count"}


def datasets(path):
    """Every dataset of a result file: name -> array (strings decoded)."""
    out = {}
    with h5py.File(path, "r") as f:

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                v = obj[()]
                out[name] = v.decode() if isinstance(v, bytes) else v

        f.visititems(visit)
    return out


def attrs(path):
    """Root and group attributes, less provenance: (group, name) -> value."""
    out = {}
    with h5py.File(path, "r") as f:
        for g in ["/", *[k for k in f if isinstance(f[k], h5py.Group)]]:
            for k, v in f[g].attrs.items():
                if k not in PROVENANCE:
                    out[(g, k)] = v
    return out


def assert_same_results(a, b):
    da, db = datasets(a), datasets(b)
    assert sorted(da) == sorted(db)
    for name in da:
        x, y = da[name], db[name]
        if isinstance(x, np.ndarray) and x.dtype.kind == "f":
            # bit for bit, NaN where NaN
            np.testing.assert_array_equal(x.view(np.uint8), y.view(np.uint8), err_msg=name)
        elif isinstance(x, np.ndarray):
            np.testing.assert_array_equal(x, y, err_msg=name)
        else:
            assert x == y, name
    aa, ab = attrs(a), attrs(b)
    assert sorted(aa) == sorted(ab)
    for k in aa:
        np.testing.assert_array_equal(aa[k], ab[k], err_msg=str(k))
