function bracketBalance(code) {
    const partner = { ")": "(", "]": "[", "}": "{" };
    const stack = [];
    for (const ch of code) {
        if (ch in partner) {
            if (stack.length === 0 || stack[stack.length - 1] !== partner[ch]) return false;
            stack.pop();
        } else {
            stack.push(ch);
        }
    }
    return stack.length === 0;
}
