"""Regenerate docs/report/annual-report.pdf for the trust eval suite.

All text below was written for this project (Apache-2.0). Run with:
    /work/main/.venv/bin/python evals/suites/trust/make_report_pdf.py
"""
import os

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "docs", "report", "annual-report.pdf")

TITLE = "Valderholm Water Company: Annual Report and Accounts 2023"

# Each section: (heading, [paragraphs]) or a table marker.
SECTIONS = [
    ("Chair's foreword", [
        "2023 was the hottest year on record in the Valderholm region, and the year tested our network as never before. Demand for drinking water peaked at 212 megalitres on 18 July, the highest daily figure in the company's history, and for eleven days in July and August our reservoirs fell below the level at which we normally ask customers to save water.",
        "We did not impose a hosepipe ban. That we avoided one is thanks to the work of our operational teams, to the new interconnector with the Brask reservoir that was commissioned in May, and to our customers, who responded to our appeal and reduced their use by around 9 percent during the worst of the heat.",
        "The Board met eleven times during the year. In September we welcomed Dr Amara Osei as an independent non-executive director; she brings many years of experience in environmental science. Oskar Lindgren stepped down from the Board in June after nine years of service, and I thank him for his wise counsel.",
        "Our owners, the four municipalities of Valderholm, Ennestad, Krokvik and Saltmyr, received a dividend of 6.5 million euros, unchanged from the previous year. All remaining profit has been reinvested in the network.",
        "Sigrid Holm, Chair of the Board",
    ]),
    ("Chief executive's review", [
        "I am pleased to report that the company met 14 of its 17 performance commitments for 2023. We missed our targets for leakage, for supply interruptions and for the number of pollution incidents, and this report explains what went wrong and what we are doing about it.",
        "Revenue rose to 148.2 million euros, an increase of 5.8 percent on 2022, reflecting the tariff increase approved by our owners and a small rise in the number of connected properties. Operating costs rose faster, to 97.6 million euros, driven mainly by electricity and chemicals. Operating profit was therefore slightly lower than last year, at 31.4 million euros.",
        "Capital investment reached a record 62.3 million euros. The largest single project was the replacement of the Hollesund trunk main, a 14 kilometre pipe that was laid in 1962 and had burst four times in the previous five years. The new main was completed in November, three weeks ahead of schedule.",
        "Our customer satisfaction score, measured by an independent survey of 3,000 households, was 8.1 out of 10, up from 7.8 in 2022. Complaints fell by 12 percent, to 1,964.",
        "None of this would be possible without our 612 colleagues. I want to thank every one of them for their commitment during a demanding year.",
        "Jonas Eklund, Chief Executive",
    ]),
    ("About the company", [
        "The Valderholm Water Company supplies drinking water to about 410,000 people and collects and treats wastewater from about 385,000 people in the Valderholm region. It was formed in 1994 through the merger of the municipal water departments of Valderholm and Ennestad. Krokvik joined in 2001 and Saltmyr in 2008.",
        "We own and operate 4 water treatment works, 9 wastewater treatment plants, 31 service reservoirs and around 3,900 kilometres of water mains. Our sewer network is about 2,700 kilometres long.",
        "Around 62 percent of our drinking water comes from surface sources, mainly Lake Brask and the Ennestad reservoir. The remaining 38 percent is groundwater, drawn from 46 boreholes in the sand and gravel aquifers of the Krokvik plain.",
        "The company is a limited company wholly owned by the four municipalities. Valderholm holds 52 percent of the shares, Ennestad 24 percent, Krokvik 14 percent and Saltmyr 10 percent. We are regulated by the National Water Regulator, which sets our performance commitments and approves our five-year business plans.",
        "Our head office is at Kanalgatan 18 in Valderholm, and we have operational depots in Ennestad and Krokvik.",
    ]),
    ("Drinking water quality", [
        "We took 41,280 samples of drinking water in 2023, from treatment works, reservoirs and customers' taps. Of these, 99.97 percent met every regulatory standard. The 12 samples that failed were investigated, and in each case the cause was found and corrected.",
        "Most failures were linked to the condition of pipes inside customers' properties, such as old lead pipes or poorly maintained taps. Two failures were caused by coliform bacteria at the Saltmyr service reservoir, which was taken out of service, cleaned and disinfected in March.",
        "Lead remains a concern in older housing. About 7,400 properties in our area are still believed to have lead supply pipes. In 2023 we replaced the section of lead pipe that we own at 1,150 properties, and we offered a subsidy of up to 600 euros to customers who replaced the section on their own land. 430 customers took up the offer.",
        "Hard water is a common topic of customer contact. The water supplied from our groundwater sources has a hardness of about 14 degrees German hardness (dH), while water from Lake Brask is much softer, at about 4 dH. We do not soften water centrally.",
        "We received 318 contacts from customers about the taste, smell or appearance of their water, compared with 402 in 2022. Most concerned discoloured water following work on the mains.",
    ]),
    ("Wastewater and the environment", [
        "Our nine wastewater treatment plants treated 49.8 million cubic metres of wastewater in 2023. The largest, at Norrviken, serves about 190,000 people and discharges into the Valder estuary.",
        "We recorded 23 pollution incidents, against a target of no more than 18. Most were caused by blockages in sewers, often due to fats, oils and wet wipes, and by pumping station failures during heavy rain in October. Three incidents were classed as serious, including a discharge of untreated sewage into the Krok river on 14 October after a power failure at the Krokvik Mill pumping station. We have since installed a permanent standby generator at that site.",
        "Storm overflows discharged for a total of 6,140 hours in 2023, down from 7,020 hours in 2022. We aim to reduce this to below 3,000 hours by 2030 by building storage tanks and by separating rainwater from the foul sewer in new developments.",
        "The upgrade of the Norrviken plant to remove phosphorus and nitrogen to a higher standard continued during the year and is due to be completed in 2025. The project will cost about 78 million euros in total.",
        "Sewage sludge from our plants is digested to produce biogas, which generated 11.2 gigawatt hours of electricity in 2023. The digested sludge is used as fertiliser on farmland.",
    ]),
    ("Leakage and network performance", [
        "Leakage averaged 27.4 megalitres a day in 2023, against our target of 25.0 megalitres a day. This is about 19 percent of the water we put into supply. The hot, dry summer caused soil around pipes to shrink, and the number of bursts on our mains rose to 1,082, compared with 846 in 2022.",
        "We increased the size of our leak detection team from 24 to 31 people and deployed 2,600 additional acoustic loggers on the network. We also began a trial of satellite-based leak detection in the Saltmyr area, which identified 57 leaks in its first four months.",
        "Customers experienced on average 11 minutes and 20 seconds of supply interruptions longer than three hours during the year, against a target of 8 minutes. Much of this was due to a single burst on the main serving Ennestad on 3 August, which left about 6,000 properties without water for up to nine hours.",
        "We replaced or relined 46 kilometres of water mains in 2023, the equivalent of 1.2 percent of the network. At this rate it would take more than 80 years to renew the whole network, and we plan to increase the rate to 1.8 percent a year from 2025.",
    ]),
    ("Customers and tariffs", [
        "Our tariff has two parts: a fixed annual connection charge and a volume charge for each cubic metre of water used. Wastewater is charged on the same basis. For 2023 our owners approved an increase of 6.9 percent in the combined tariff.",
        "The volume charge for drinking water was 1.92 euros per cubic metre, and for wastewater 2.38 euros per cubic metre. The fixed charge for a typical household connection was 118 euros a year for water and 146 euros a year for wastewater.",
        "A typical household using 110 cubic metres a year therefore paid 737 euros in 2023 for water and wastewater together, or just over 2 euros a day.",
        "Customers who have difficulty paying can join our WaterHelp scheme, which caps bills at 3 percent of household income. At the end of 2023, 8,640 households were on the scheme, up from 6,910 a year earlier. We also offer payment plans spread over up to 24 months.",
        "We installed 9,800 smart meters during the year. By the end of 2023 about 41 percent of households had a smart meter, and we aim for every household to have one by the end of 2027.",
    ]),
    ("Capital investment", [
        "We invested 62.3 million euros in 2023, compared with 51.7 million euros in 2022. The main projects are listed below.",
        "Hollesund trunk main replacement: 14.1 million euros. Replacement of 14 kilometres of trunk main between the Brask treatment works and the Hollesund reservoir, completed in November 2023.",
        "Norrviken wastewater plant upgrade: 17.8 million euros in 2023, of a total budget of about 78 million euros. Completion is expected in 2025.",
        "Brask interconnector: 6.4 million euros. A new 9 kilometre pipeline and pumping station that allows water to be moved from the Brask system to the Krokvik area, commissioned in May 2023.",
        "Smart meter programme: 3.9 million euros.",
        "Mains renewal and lead pipe replacement: 12.6 million euros.",
        "Other projects, including IT systems, vehicles and the refurbishment of the Ennestad depot: 7.5 million euros.",
        "Our business plan for 2025 to 2029, submitted to the National Water Regulator in October 2023, proposes capital investment of 410 million euros over the five years.",
    ]),
    ("Financial review", [
        "The table below summarises the company's key financial figures for 2023 and 2022. All amounts are in millions of euros unless stated otherwise.",
        "__TABLE__",
        "Net debt rose to 384.5 million euros at the end of the year, mainly to finance the capital programme. Our gearing, defined as net debt divided by the regulatory asset value, was 58.2 percent, within the limit of 65 percent agreed with our owners.",
        "In April we issued a green bond of 120 million euros with a maturity of 15 years and a coupon of 3.45 percent. The proceeds are being used for the Norrviken upgrade and the mains renewal programme.",
        "Electricity is our largest single operating cost after staff. We used 96.3 gigawatt hours of electricity in 2023, at a total cost of 14.8 million euros. About 45 percent of our electricity was bought through a fixed-price agreement that runs until 2026.",
        "Profit after tax was 19.6 million euros. The Board has recommended a dividend of 6.5 million euros, and the remainder will be retained for investment.",
    ]),
    ("People and safety", [
        "At the end of 2023 we employed 612 people, compared with 589 a year earlier. Women made up 34 percent of our workforce and 41 percent of our senior managers. Staff turnover was 7.2 percent.",
        "We recruited 14 apprentices in 2023 through our partnership with Valderholm Technical School, the largest intake since the programme began in 2012.",
        "The lost-time injury rate was 2.1 injuries per million hours worked, down from 2.9 in 2022. There were no fatal or life-changing injuries. The most common causes of injury were slips and trips and manual handling.",
        "Our annual staff survey had a response rate of 78 percent. 83 percent of respondents said they were proud to work for the company.",
    ]),
    ("Climate and energy", [
        "Our net greenhouse gas emissions in 2023 were 21,600 tonnes of carbon dioxide equivalent, a reduction of 6 percent on 2022. Most of our emissions come from electricity use and from nitrous oxide released during wastewater treatment.",
        "We generated 18 percent of the electricity we used ourselves, from biogas, from solar panels at four sites and from a small hydropower turbine at the Ennestad reservoir dam. A new solar park of 4.5 megawatts at the Krokvik treatment works is planned for 2024.",
        "We have set a target of reaching net zero operational emissions by 2035. Our vehicle fleet of 214 vans and cars will be fully electric by 2030; at the end of 2023, 63 vehicles were electric.",
        "Climate change will make hot, dry summers such as 2023 more common. Our long-term water resources plan forecasts that, without action, the region could face a shortfall of around 20 megalitres a day in a severe drought by 2040. The plan proposes a combination of lower leakage, lower demand per person and a new groundwater source at Vittjärn.",
    ]),
    ("Outlook for 2024", [
        "In 2024 our priorities are to bring leakage back below target, to complete the first phase of the Norrviken upgrade and to reduce pollution incidents. Our owners have approved a tariff increase of 4.8 percent for 2024.",
        "We expect capital investment of around 70 million euros in 2024. The National Water Regulator is due to publish its draft decision on our business plan for 2025 to 2029 in June 2024, with a final decision in December.",
        "This annual report was approved by the Board on 21 March 2024.",
    ]),
]

TABLE_ROWS = [
    ["Item", "2023", "2022"],
    ["Revenue", "148.2", "140.1"],
    ["Operating costs", "97.6", "89.9"],
    ["Depreciation", "19.2", "18.3"],
    ["Operating profit", "31.4", "31.9"],
    ["Net interest", "7.1", "5.6"],
    ["Profit after tax", "19.6", "21.1"],
    ["Capital investment", "62.3", "51.7"],
    ["Net debt", "384.5", "341.0"],
    ["Dividend", "6.5", "6.5"],
    ["Employees (number)", "612", "589"],
]


def build():
    styles = getSampleStyleSheet()
    body = styles["BodyText"]
    body.spaceAfter = 8
    story = [Paragraph(TITLE, styles["Title"]), Spacer(1, 0.5 * cm),
             Paragraph("Published by the Valderholm Water Company, Kanalgatan 18, Valderholm. Report for the year ended 31 December 2023.", body),
             Spacer(1, 0.5 * cm), Paragraph("Contents", styles["Heading2"])]
    for i, (heading, _) in enumerate(SECTIONS, 1):
        story.append(Paragraph(f"{i}. {heading}", body))
    for i, (heading, paras) in enumerate(SECTIONS, 1):
        story.append(PageBreak())
        story.append(Paragraph(f"{i}. {heading}", styles["Heading1"]))
        for p in paras:
            if p == "__TABLE__":
                t = Table(TABLE_ROWS, colWidths=[7 * cm, 3 * cm, 3 * cm])
                t.setStyle(TableStyle([
                    ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
                    ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                ]))
                story.append(t)
                story.append(Paragraph("Table 1: Key financial figures, in millions of euros.", body))
            else:
                story.append(Paragraph(p, body))

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.drawString(2 * cm, 1.2 * cm, f"Valderholm Water Company - Annual Report 2023 - page {doc.page}")
        canvas.restoreState()

    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    doc = SimpleDocTemplate(OUT, pagesize=A4, title=TITLE,
                            author="Valderholm Water Company")
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return OUT


if __name__ == "__main__":
    print(build())
