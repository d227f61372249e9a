#!/usr/bin/env python3
"""Keeps at most MAX inputs of a fuzz corpus, chosen by greedy set cover.

Usage: trim_corpus.py CONTROL_FILE MAX

CONTROL_FILE is the control file of a libFuzzer `-set_cover_merge=1` run over
the corpus (`-merge_control_file=`): it lists every input and, per input, all
the features it covers. Inputs are taken one at a time, each time the one that
adds the most features not yet covered (the smaller on a tie), until MAX are
kept or nothing new is left; every other input that ran is deleted (one that
crashed the merge has no features listed and is left alone). Prints how many
features the kept inputs cover out of all.
"""

import os
import sys


def main():
    control_file, limit = sys.argv[1], int(sys.argv[2])
    with open(control_file) as control:
        lines = control.read().splitlines()
    count = int(lines[0])
    paths = lines[2 : 2 + count]
    features = {}
    for line in lines[2 + count :]:
        words = line.split()
        if words and words[0] == "FT":
            features[int(words[1])] = set(words[2:])
    every = set().union(*features.values()) if features else set()
    ran = set(features)

    covered, kept = set(), []
    while len(kept) < limit:
        best = max(
            features,
            key=lambda index: (len(features[index] - covered), -os.path.getsize(paths[index])),
            default=None,
        )
        if best is None or not features[best] - covered:
            break
        covered |= features.pop(best)
        kept.append(best)

    for index in ran.difference(kept):
        os.remove(paths[index])
    print(f"kept {len(kept)} of {count} inputs, covering {len(covered)} of {len(every)} features")


if __name__ == "__main__":
    main()
