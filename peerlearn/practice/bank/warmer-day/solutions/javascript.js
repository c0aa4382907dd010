function waitForWarmer(temps) {
    const answer = new Array(temps.length).fill(0);
    const waiting = [];
    for (let i = 0; i < temps.length; i++) {
        while (waiting.length > 0 && temps[waiting[waiting.length - 1]] < temps[i]) {
            const j = waiting.pop();
            answer[j] = i - j;
        }
        waiting.push(i);
    }
    return answer;
}
