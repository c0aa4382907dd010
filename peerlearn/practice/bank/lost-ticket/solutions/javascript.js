function lostTicket(tickets) {
    let answer = tickets.length;
    for (let i = 0; i < tickets.length; i++) answer ^= i ^ tickets[i];
    return answer;
}
