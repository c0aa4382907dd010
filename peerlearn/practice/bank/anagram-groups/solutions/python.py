def anagram_shelves(words):
    shelves = {}
    for word in words:
        shelves.setdefault("".join(sorted(word)), []).append(word)
    return list(shelves.values())
