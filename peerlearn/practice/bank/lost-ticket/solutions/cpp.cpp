int lostTicket(vector<int>& tickets) {
    int n = tickets.size();
    int answer = n;
    for (int i = 0; i < n; i++) answer ^= i ^ tickets[i];
    return answer;
}
