function anagramShelves(words) {
    const shelves = new Map();
    for (const word of words) {
        const key = word.split("").sort().join("");
        const shelf = shelves.get(key);
        if (shelf) shelf.push(word);
        else shelves.set(key, [word]);
    }
    return [...shelves.values()];
}
