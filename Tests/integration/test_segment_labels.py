"""The column-name parser users copy from docs/storage-format.md §5.2 inverts the
canonical selector for every label set seismo can store (no server needed)."""
import random

from harness import canonical_selector, labels_of_column

ALPHABET = ['a', 'Z', '0', '_', ':', ',', '=', '{', '}', '"', '\\', '\n', ' ', 'ü', '€', '\t', "'", 'n']


def test_labels_of_column_inverts_canonical_selector():
    rng = random.Random(20261201)
    for _ in range(3000):
        labels = {}
        if rng.random() < 0.9:
            labels["__name__"] = rng.choice(["up", "node_cpu_seconds_total", "a:b_c", "_x"])
        for _ in range(rng.randint(0 if labels else 1, 5)):
            name = rng.choice(["job", "instance", "a", "le", "_z", "mode9"]) + rng.choice(["", "1", "_b"])
            labels[name] = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 12)))
        col = canonical_selector(labels.items())
        assert labels_of_column(col) == labels, col


def test_examples():
    assert labels_of_column("up") == {"__name__": "up"}
    assert labels_of_column('m{a="x",b="y\\"z"}') == {"__name__": "m", "a": "x", "b": 'y"z'}
    assert labels_of_column('{job="a\\\\",k="\\n"}') == {"job": "a\\", "k": "\n"}
