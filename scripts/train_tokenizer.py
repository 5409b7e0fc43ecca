"""Train the course tokenizer on the training split and write it to data/tokenizer/.

    python scripts/train_tokenizer.py          # (re)write the shipped file
    python scripts/train_tokenizer.py --check  # exit 1 if retraining gives different bytes
"""
import argparse
import sys

from course_support.corpus import load_split
from course_support.data_files import record_checksum
from course_support.tokenizer import tokenizer_path, train_bpe


def trained_bytes() -> bytes:
    return train_bpe(load_split("train")).to_str(pretty=True).encode("utf-8") + b"\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the shipped file")
    args = parser.parse_args()
    path = tokenizer_path()
    new = trained_bytes()
    if args.check:
        same = path.exists() and path.read_bytes() == new
        print(f"{path.name}: {'identical' if same else 'DIFFERENT'} after retraining")
        return 0 if same else 1
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(new)
    record_checksum(path)  # course_support.verify() checks the shipped file against it
    print(f"wrote {path} ({len(new):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
