bool bracketBalance(string code) {
    string stack;
    for (char ch : code) {
        if (ch == '(' || ch == '[' || ch == '{') {
            stack.push_back(ch);
            continue;
        }
        char open = ch == ')' ? '(' : ch == ']' ? '[' : '{';
        if (stack.empty() || stack.back() != open) return false;
        stack.pop_back();
    }
    return stack.empty();
}
