vector<vector<string>> anagramShelves(vector<string>& words) {
    unordered_map<string, int> index;
    vector<vector<string>> shelves;
    for (const string& word : words) {
        string key = word;
        sort(key.begin(), key.end());
        auto it = index.find(key);
        if (it == index.end()) {
            index.emplace(key, (int)shelves.size());
            shelves.push_back({word});
        } else {
            shelves[it->second].push_back(word);
        }
    }
    return shelves;
}
